// Lesson 16: generating text.
//
// Karpathy's char-rnn in this crate: an LSTM reads Shakespeare one
// character at a time and learns to predict, at every step, the character
// that comes next. Then it writes: each character it draws from its own
// prediction goes back in as the next input.
//
//     cargo run --release --bin lesson16             under a minute
//     cargo run --release --bin lesson16 -- --long   a few minutes, better text
//     cargo run --bin lesson16 -- --short            seconds: the transcript
//                                                     (also a debug build's default)

use std::path::Path;
use std::time::Instant;

use ndarray::{Array1, Array2, Array3};
use rnn_basics::layers::{Dense, RecurrentLayer};
use rnn_basics::model::{ModelLayer, Sequential};
use rnn_basics::prelude::*;
use rnn_basics::train::{self, Adam, Dataset, FitConfig, Loss, Target};

/// Every random draw of this lesson starts here.
const SEED: u64 = 16;

// ANCHOR: mode
/// How much to train: how much text, how large a model, how long.
struct Mode {
    /// Characters of the text to train on (from its start).
    text: usize,
    /// Size of the LSTM's state.
    units: usize,
    /// Steps of one training sequence.
    steps: usize,
    batch_size: usize,
    epochs: usize,
    learning_rate: f32,
    /// Characters to write at each temperature.
    sample: usize,
    /// Print the time and draw the loss curve (not in the transcript).
    full: bool,
}

/// `--short`, `--long`, or neither: the full run in a release build, the
/// short one in a debug build (where the full run would take many minutes).
fn mode() -> Result<Mode> {
    let normal = Mode {
        text: 300_000,
        units: 128,
        steps: 64,
        batch_size: 32,
        epochs: 10,
        learning_rate: 0.005,
        sample: 600,
        full: true,
    };
    let short = Mode {
        text: 24_000,
        units: 32,
        steps: 32,
        batch_size: 8,
        epochs: 6,
        learning_rate: 0.01,
        sample: 160,
        full: false,
    };
    match std::env::args().nth(1).as_deref() {
        None if cfg!(debug_assertions) => {
            eprintln!("a debug build: the short run (--release trains the full model)");
            Ok(short)
        }
        None => Ok(normal),
        Some("--long") => Ok(Mode {
            units: 256,
            epochs: 20,
            learning_rate: 0.003,
            ..normal
        }),
        Some("--short") => Ok(short),
        Some(other) => Err(Error::config(
            "lesson16",
            format!("expected --short, --long or nothing, got {other:?}"),
        )),
    }
}
// ANCHOR_END: mode

fn main() -> Result<()> {
    let mode = mode()?;

    // ANCHOR: data
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("texts/shakespeare.txt");
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    // The vocabulary: every character of the text, sorted.
    let mut idx2char: Vec<char> = text.chars().collect();
    idx2char.sort();
    idx2char.dedup();
    let vocab = idx2char.len();
    let chars: String = idx2char.iter().collect();
    println!("{} characters, {vocab} distinct:\n{chars:?}", text.len());
    // ANCHOR_END: data

    // ANCHOR: windows
    // The text as character indices, cut into sequences of `steps`
    // characters; each target is the same sequence one character later.
    let ids: Vec<usize> = text
        .chars()
        .take(mode.text)
        .map(|c| idx2char.binary_search(&c).expect("in the vocabulary"))
        .collect();
    let steps = mode.steps;
    let examples = (ids.len() - 1) / steps;
    let x = Array3::from_shape_fn((examples, steps, vocab), |(n, t, c)| {
        if ids[n * steps + t] == c { 1.0f32 } else { 0.0 }
    });
    let y = Array2::from_shape_fn((examples, steps), |(n, t)| ids[n * steps + t + 1]);
    println!(
        "x: {}, y: {}",
        show::shape(x.shape()),
        show::shape(y.shape())
    );
    // ANCHOR_END: windows

    // ANCHOR: model
    let mut rng = init::rng(SEED);
    let mut model = Sequential::with_input_shape(&[steps, vocab]);
    model.add(Lstm::new(mode.units, vocab, &mut rng)?.return_sequences(true))?;
    // At every step: one score (logit) a character.
    model.add(Dense::new(vocab, mode.units, &mut rng)?)?;
    println!("{}", model.summary());
    // ANCHOR_END: model

    // ANCHOR: train
    let config = FitConfig {
        epochs: mode.epochs,
        batch_size: mode.batch_size,
        shuffle: true,
        seed: SEED,
        clip_norm: Some(5.0),
    };
    let start = Instant::now();
    let history = train::fit(
        &mut model,
        Dataset {
            x: x.view().into_dyn(),
            target: Target::Classes(y.view().into_dyn()),
            mask: None,
        },
        Loss::SoftmaxCrossEntropy,
        &mut Adam::new(mode.learning_rate),
        &config,
        |report, model| {
            // What the model writes now, always from the same draws.
            let preview =
                generate(model, &idx2char, "\n", 30, 0.5, &mut init::rng(SEED))
                    .expect("the model runs");
            if mode.full {
                let seconds = start.elapsed().as_secs_f64();
                println!("{report}  {seconds:5.1} s  {preview:?}");
            } else {
                println!("{report}  {preview:?}");
            }
        },
    )?;
    // ANCHOR_END: train

    // ANCHOR: write
    for temperature in [0.5, 1.0] {
        let mut rng = init::rng(SEED);
        let written = generate(
            &model,
            &idx2char,
            "MENENIUS:\n",
            mode.sample,
            temperature,
            &mut rng,
        )?;
        println!(
            "\n--- temperature {temperature} ---\nMENENIUS:\n{}",
            wrap(&written)
        );
    }
    // ANCHOR_END: write

    // ANCHOR: figure
    if mode.full {
        let figure = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("book/src/figures/lesson16-loss.svg");
        rnn_basics::plot::loss_curve(
            &figure,
            "char-rnn: training loss",
            &history.loss,
        )?;
        println!("\nloss curve: book/src/figures/lesson16-loss.svg");
    }
    // ANCHOR_END: figure
    Ok(())
}

// ANCHOR: generate
/// Reads `seed`, then writes `length` characters: at every step the Dense
/// layer scores the next character from the LSTM's state, one is drawn at
/// `temperature`, and it goes back in as the next input.
fn generate(
    model: &Sequential,
    idx2char: &[char],
    seed: &str,
    length: usize,
    temperature: f32,
    rng: &mut init::Rng,
) -> Result<String> {
    let [
        ModelLayer::Recurrent(RecurrentLayer::Lstm(lstm)),
        ModelLayer::Dense(dense),
    ] = model.layers()
    else {
        return Err(Error::config(
            "generate",
            "expected an LSTM, then a Dense layer",
        ));
    };
    let cell = lstm.cell();
    let one_hot = |c: usize| {
        Array2::from_shape_fn((1, idx2char.len()), |(_, k)| f32::from(u8::from(k == c)))
    };
    // The seed moves the state on, one character at a time.
    let mut states = cell.zero_states(1);
    for c in seed.chars() {
        let Ok(index) = idx2char.binary_search(&c) else {
            return Err(Error::config(
                "generate",
                format!("{c:?} is not in the text"),
            ));
        };
        states = cell.step(one_hot(index).view(), &states)?.1;
    }
    let mut written = String::new();
    for _ in 0..length {
        let logits = dense.forward(states[0].view().into_dyn())?; // (1, vocab)
        let logits: Array1<f32> = logits.iter().copied().collect();
        let next = train::sample_with_temperature(logits.view(), temperature, rng)?;
        written.push(idx2char[next]);
        states = cell.step(one_hot(next).view(), &states)?.1;
    }
    Ok(written)
}
// ANCHOR_END: generate

// ANCHOR: wrap
/// Breaks lines longer than 72 characters at a space, for the page: the
/// rest goes on the next line, indented by two spaces (the play's own
/// lines never start with a space).
fn wrap(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.split('\n') {
        let mut rest = line;
        let mut indent = "";
        while rest.len() + indent.len() > 72 {
            let Some(at) = rest[..72 - indent.len()].rfind(' ') else {
                break;
            };
            lines.push(format!("{indent}{}", &rest[..at]));
            rest = &rest[at + 1..];
            indent = "  ";
        }
        lines.push(format!("{indent}{rest}"));
    }
    lines.join("\n")
}
// ANCHOR_END: wrap
