//! `rnn-basics`: Keras model files on the command line.
//!
//! ```text
//! rnn-basics summary MODEL                  # the layers, output shapes, Total params
//! rnn-basics predict MODEL IN.npy OUT.npy   # run the model, write float32 .npy
//! rnn-basics convert MODEL OUT.keras        # .keras or legacy .h5 in, .keras out
//! ```
//!
//! Exit 0 on success; 2 with one line `error: ...` on stderr for a file it
//! cannot read or a model it does not support.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use clap::{Parser, Subcommand};
use rnn_basics::keras::file;

/// Keras model files (.keras and legacy .h5) with rnn-basics: summarize,
/// predict, convert.
#[derive(Parser)]
#[command(name = "rnn-basics", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the model like Keras's model.summary(): layers, output shapes,
    /// parameters (a Functional model's InputLayer first), then `Total params:`.
    Summary {
        /// A Keras 3 .keras file or a legacy full-model .h5 file.
        model: PathBuf,
    },
    /// Run the model on an input array and write its output as float32 .npy.
    Predict {
        /// A Keras 3 .keras file or a legacy full-model .h5 file.
        model: PathBuf,
        /// float32, float64, int32 or int64 .npy: (batch, time, features),
        /// or (batch, time) token ids for a model that starts with Embedding.
        input: PathBuf,
        /// Where to write the output (float32 .npy).
        output: PathBuf,
    },
    /// Read a .keras or legacy .h5 model and write it as a Keras 3 .keras file.
    Convert {
        /// A Keras 3 .keras file or a legacy full-model .h5 file.
        model: PathBuf,
        /// The .keras file to write.
        output: PathBuf,
    },
}

fn run(command: Command) -> rnn_basics::Result<()> {
    match command {
        Command::Summary { model } => {
            let model = file::load_model(&model)?;
            // A reader who stops reading (`| head`) is not an error.
            if let Err(e) = writeln!(std::io::stdout(), "{}", model.summary())
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(rnn_basics::Error::Io {
                    path: "standard output".to_string(),
                    source: e,
                });
            }
        }
        Command::Predict {
            model: model_path,
            input,
            output,
        } => {
            let model = file::load_model(&model_path)?;
            let x = file::read_npy(&input)?;
            model
                .check_input(x.array.shape())
                .and_then(|()| file::check_output_sizes(&model, x.array.shape()))
                .map_err(|e| e.in_source(input.display()))?;
            let y = model
                .forward(x.array.view())
                .map_err(|e| e.in_source(input.display()))?;
            file::write_npy_f32(&output, &y)?;
        }
        Command::Convert { model, output } => {
            let loaded = file::load_model(&model)?;
            file::save_keras(&loaded, &output)?;
        }
    }
    Ok(())
}

/// What a panic said, so that it can be reported on one line.
static PANIC: Mutex<Option<String>> = Mutex::new(None);

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A panic is a bug; should one happen it is still one `error:` line.
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut slot) = PANIC.lock() {
            *slot = Some(info.to_string().replace('\n', " "));
        }
    }));
    match std::panic::catch_unwind(|| run(cli.command)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {}", e.to_string().replace('\n', " "));
            ExitCode::from(2)
        }
        Err(_) => {
            let what = PANIC
                .lock()
                .ok()
                .and_then(|s| s.clone())
                .unwrap_or_default();
            eprintln!("error: internal error (a bug in rnn-basics): {what}");
            ExitCode::from(2)
        }
    }
}
