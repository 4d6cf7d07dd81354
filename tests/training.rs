//! Training: the optimizers follow Keras's update rules, the losses'
//! gradients are right, runs are reproducible, and the course's two
//! training labs learn what they should.

use ndarray::{Array1, Array2, Array3, ArrayD, IxDyn, array};
use rnn_basics::layers::Dense;
use rnn_basics::model::Sequential;
use rnn_basics::prelude::*;
use rnn_basics::train::{self, Adam, Dataset, FitConfig, Loss, Optimizer, Sgd, Target};

mod common;
use common::max_diff;

/// Three steps of each optimizer, against Keras 3.15 on the same numbers:
///
/// ```python
/// grads = [[0.5, -1.0, 2.0], [0.1, 0.3, -0.2], [-0.4, 0.0, 1.5]]
/// for opt in [keras.optimizers.Adam(learning_rate=0.1),
///             keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)]:
///     w = keras.Variable(np.array([1.0, -2.0, 0.5], np.float32))
///     for g in grads:
///         opt.apply_gradients([(tf.constant(g), w)]); print(w.numpy())
/// ```
#[test]
fn optimizers_follow_keras() {
    let grads = [[0.5f32, -1.0, 2.0], [0.1, 0.3, -0.2], [-0.4, 0.0, 1.5]];
    let keras_adam = [
        [0.9000013f32, -1.900001, 0.4000008],
        [0.8196985, -1.8572167, 0.34073666],
        [0.81032866, -1.8241441, 0.2658039],
    ];
    let keras_sgd = [
        [0.95f32, -1.9, 0.3],
        [0.895, -1.84, 0.14000002],
        [0.88549995, -1.786, -0.15399998],
    ];
    type Case = (&'static str, Box<dyn Optimizer>, [[f32; 3]; 3]);
    let mut optimizers: [Case; 2] = [
        ("adam", Box::new(Adam::new(0.1)), keras_adam),
        ("sgd", Box::new(Sgd::new(0.1).with_momentum(0.9)), keras_sgd),
    ];
    for (name, optimizer, expected) in optimizers.iter_mut() {
        let mut w = ArrayD::from_shape_vec(IxDyn(&[3]), vec![1.0f32, -2.0, 0.5]).unwrap();
        for (g, want) in grads.iter().zip(expected.iter()) {
            let g = ArrayD::from_shape_vec(IxDyn(&[3]), g.to_vec()).unwrap();
            optimizer.step(&mut [w.view_mut()], &[g]).unwrap();
            for (a, b) in w.iter().zip(want) {
                assert!((a - b).abs() < 1e-6, "{name}: {w} vs {want:?}");
            }
        }
    }
}

#[test]
fn softmax_cross_entropy_gradient_matches_finite_differences() {
    let mut rng = init::rng(3);
    let logits = init::normal(&mut rng, (3, 4, 5)).into_dyn();
    let labels = Array2::from_shape_fn((3, 4), |(b, t)| (b + 2 * t) % 5).into_dyn();
    let (_, grad) = train::softmax_cross_entropy(logits.view(), labels.view()).unwrap();
    let eps = 1e-2f32;
    for index in [[0, 0, 0], [1, 2, 3], [2, 3, 4], [2, 1, 1]] {
        let mut plus = logits.clone();
        plus[IxDyn(&index)] += eps;
        let mut minus = logits.clone();
        minus[IxDyn(&index)] -= eps;
        let numeric = (train::softmax_cross_entropy(plus.view(), labels.view())
            .unwrap()
            .0
            - train::softmax_cross_entropy(minus.view(), labels.view())
                .unwrap()
                .0)
            / (2.0 * eps);
        assert!(
            (numeric - grad[IxDyn(&index)]).abs() < 1e-3,
            "{index:?}: {numeric} vs {}",
            grad[IxDyn(&index)]
        );
    }
}

/// Mean squared error over every number: (0 + 4 + 0 + 16) / 4, and its
/// gradient 2 (prediction - target) / 4.
#[test]
fn mean_squared_error_is_the_mean_over_every_number() {
    let prediction = array![[1.0f32, 2.0], [3.0, 4.0]].into_dyn();
    let target = array![[1.0f32, 0.0], [3.0, 0.0]].into_dyn();
    let (loss, grad) = train::mean_squared_error(prediction.view(), target.view()).unwrap();
    assert_eq!(loss, 5.0);
    assert_eq!(grad, array![[0.0f32, 1.0], [0.0, 2.0]].into_dyn());
}

#[test]
fn losses_refuse_mismatched_targets() {
    let logits = Array2::<f32>::zeros((2, 3)).into_dyn();
    let wrong_shape = Array1::<usize>::zeros(3).into_dyn();
    assert!(train::softmax_cross_entropy(logits.view(), wrong_shape.view()).is_err());
    let out_of_range = array![0usize, 3].into_dyn();
    let e = train::softmax_cross_entropy(logits.view(), out_of_range.view()).unwrap_err();
    assert!(
        e.to_string()
            .contains("label 3 is out of range for 3 classes"),
        "{e}"
    );
    let e = train::mean_squared_error(
        logits.view(),
        Array2::<f32>::zeros((3, 2)).view().into_dyn(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("expected shape (2, 3), got (3, 2)"),
        "{e}"
    );
}

/// The many-to-one lab: 'good', 'bad', 'worse', 'so good'.
fn sentiment_data() -> (Array3<f32>, Array2<bool>, Array1<usize>) {
    let words = ["good", "bad", "worse", "so good"];
    let mut chars: Vec<char> = words.iter().flat_map(|w| w.chars()).collect();
    chars.sort();
    chars.dedup();
    let classes = chars.len() + 1;
    let mut x = Array3::zeros((4, 10, classes));
    let mut mask = Array2::from_elem((4, 10), false);
    for (b, w) in words.iter().enumerate() {
        for (t, c) in w.chars().enumerate() {
            x[[b, t, 1 + chars.iter().position(|k| *k == c).unwrap()]] = 1.0;
            mask[[b, t]] = true;
        }
    }
    (x, mask, array![1, 0, 0, 1])
}

/// SimpleRNN(`units`) → Dense(2) on the lab's characters, its weights
/// drawn from `seed`.
fn sentiment_model(units: usize, seed: u64) -> Sequential {
    let features = sentiment_data().0.dim().2;
    let mut rng = init::rng(seed);
    let mut model = Sequential::with_input_shape(&[10, features]);
    model
        .add(SimpleRnn::new(units, features, &mut rng).unwrap())
        .unwrap();
    model.add(Dense::new(2, units, &mut rng).unwrap()).unwrap();
    model
}

/// Fits `model` to the lab's words with softmax cross-entropy.
fn fit_sentiment(
    model: &mut Sequential,
    optimizer: &mut dyn Optimizer,
    config: &FitConfig,
    on_epoch: impl FnMut(&train::EpochReport, &Sequential),
) -> rnn_basics::Result<train::History> {
    let (x, mask, labels) = sentiment_data();
    train::fit(
        model,
        Dataset {
            x: x.view().into_dyn(),
            target: Target::Classes(labels.view().into_dyn()),
            mask: Some(mask.view()),
        },
        Loss::SoftmaxCrossEntropy,
        optimizer,
        config,
        on_epoch,
    )
}

fn train_sentiment(seed: u64) -> (Vec<f32>, usize) {
    let mut model = sentiment_model(10, seed);
    let config = FitConfig {
        epochs: 30,
        batch_size: 2,
        shuffle: true,
        seed,
        clip_norm: None,
    };
    let history = fit_sentiment(&mut model, &mut Adam::new(0.01), &config, |_, _| {}).unwrap();
    (history.loss, words_right(&model))
}

/// How many of the four words the model gets right.
fn words_right(model: &Sequential) -> usize {
    let (x, mask, labels) = sentiment_data();
    let logits = model
        .forward_masked(x.view().into_dyn(), Some(mask.view()))
        .unwrap();
    (0..4)
        .filter(|&b| usize::from(logits[[b, 1]] > logits[[b, 0]]) == labels[b])
        .count()
}

#[test]
fn the_sentiment_lab_learns_with_any_seed() {
    for seed in 0..12 {
        let (loss, correct) = train_sentiment(seed);
        assert_eq!(correct, 4, "seed {seed}: {correct}/4 words right");
        assert!(
            loss[29] < loss[0] / 10.0,
            "seed {seed}: the loss fell only from {} to {}",
            loss[0],
            loss[29]
        );
    }
}

/// One epoch on the four words in batches of 3 and 1, at a learning rate
/// of zero: the weights stay as they were.
fn one_epoch_standing_still(model: &mut Sequential) -> train::History {
    let config = FitConfig {
        epochs: 1,
        batch_size: 3,
        shuffle: false,
        seed: 0,
        clip_norm: None,
    };
    fit_sentiment(model, &mut Sgd::new(0.0), &config, |_, _| {}).unwrap()
}

/// An epoch's loss is the mean over its examples, a short last batch
/// weighing as little as it holds: with a learning rate of zero the
/// weights stay, so it is the loss of the whole data at once.
#[test]
fn an_epochs_loss_is_the_mean_over_its_examples() {
    let (x, mask, labels) = sentiment_data();
    let mut model = sentiment_model(5, 8);
    let history = one_epoch_standing_still(&mut model);
    let logits = model
        .forward_masked(x.view().into_dyn(), Some(mask.view()))
        .unwrap();
    let (whole, _) = train::softmax_cross_entropy(logits.view(), labels.view().into_dyn()).unwrap();
    assert!(
        (history.loss[0] - whole).abs() <= 1e-6 * whole.abs(),
        "the epoch's loss {} is not the whole data's {whole}",
        history.loss[0]
    );
}

#[test]
fn training_is_reproducible() {
    assert_eq!(train_sentiment(5).0, train_sentiment(5).0);
    assert_ne!(train_sentiment(5).0, train_sentiment(6).0);
}

#[test]
fn clipping_bounds_every_update() {
    // With the gradient clipped to a tiny norm, SGD moves the weights by at most lr × that norm.
    let mut model = sentiment_model(4, 1);
    let before: Vec<ArrayD<f32>> = model.weights().iter().map(|w| w.to_owned()).collect();
    let config = FitConfig {
        epochs: 1,
        batch_size: 4,
        shuffle: false,
        seed: 0,
        clip_norm: Some(1e-3),
    };
    fit_sentiment(&mut model, &mut Sgd::new(1.0), &config, |_, _| {}).unwrap();
    let moved: f32 = model
        .weights()
        .iter()
        .zip(&before)
        .map(|(a, b)| (a - b).mapv(|d| d * d).sum())
        .sum::<f32>()
        .sqrt();
    assert!(moved > 0.0 && moved <= 1e-3 * 1.0001, "moved {moved}");
}

#[test]
fn fit_refuses_mismatched_inputs() {
    let (x, mask, _) = sentiment_data();
    let mut model = sentiment_model(4, 1);
    let three_labels = array![1usize, 0, 0].into_dyn();
    let e = train::fit(
        &mut model,
        Dataset {
            x: x.view().into_dyn(),
            target: Target::Classes(three_labels.view()),
            mask: Some(mask.view()),
        },
        Loss::SoftmaxCrossEntropy,
        &mut Adam::new(0.01),
        &FitConfig::default(),
        |_, _| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("expected 4, got 3"), "{e}");
    let values = ArrayD::<f32>::zeros(IxDyn(&[4, 2]));
    let e = train::fit(
        &mut model,
        Dataset {
            x: x.view().into_dyn(),
            target: Target::Values(values.view()),
            mask: None,
        },
        Loss::SoftmaxCrossEntropy,
        &mut Adam::new(0.01),
        &FitConfig::default(),
        |_, _| {},
    )
    .unwrap_err();
    assert!(e.to_string().contains("Target::Classes"), "{e}");
}

/// Every update draws its own dropout masks, and so does every layer: the
/// step `fit` gives each Dropout differs from update to update and from
/// layer to layer. A classification fit reports its accuracy each epoch.
#[test]
fn each_update_and_each_dropout_gets_its_own_step_and_accuracy_is_reported() {
    use rnn_basics::layers::Dropout;
    use rnn_basics::model::ModelLayer;
    let features = sentiment_data().0.dim().2;
    let mut rng = init::rng(3);
    let mut model = Sequential::with_input_shape(&[10, features]);
    model.add(Dropout::new(0.2).unwrap()).unwrap();
    model
        .add(SimpleRnn::new(6, features, &mut rng).unwrap())
        .unwrap();
    model.add(Dropout::new(0.2).unwrap()).unwrap();
    model.add(Dense::new(2, 6, &mut rng).unwrap()).unwrap();
    let config = FitConfig {
        epochs: 3,
        batch_size: 4,
        shuffle: false,
        seed: 9,
        clip_norm: None,
    };
    let mut steps: Vec<Vec<u64>> = Vec::new();
    let mut accuracies = Vec::new();
    let history = fit_sentiment(
        &mut model,
        &mut Adam::new(0.01),
        &config,
        |report, model| {
            accuracies.push(report.accuracy);
            steps.push(
                model
                    .layers()
                    .iter()
                    .filter_map(|l| match l {
                        ModelLayer::Dropout(d) => Some(d.step()),
                        _ => None,
                    })
                    .collect(),
            );
        },
    )
    .unwrap();
    assert_eq!(history.accuracy.len(), 3);
    for a in &accuracies {
        let a = a.expect("a classification fit reports its accuracy");
        assert!((0.0..=1.0).contains(&a), "{a}");
    }
    // One update an epoch: the steps of the two layers, epoch after epoch.
    assert!(
        steps.iter().all(|s| s.len() == 2 && s[0] != s[1]),
        "{steps:?}"
    );
    assert!(steps[0] != steps[1] && steps[1] != steps[2], "{steps:?}");
}

/// `bench-train --breakdown`'s timers: after `reset`, a training step's
/// parts are named with their times per step, which add up (two steps
/// here) and stay within the time the steps took; `take` returns them and
/// stops.
#[test]
fn the_breakdown_names_the_parts_of_a_step() {
    use rnn_basics::layers::RecurrentLayer;
    use rnn_basics::train::{Backward, profile};
    let mut rng = init::rng(2);
    let layer: RecurrentLayer = Lstm::new(4, 3, &mut rng).unwrap().into();
    let x: Array3<f32> = init::normal(&mut rng, (2, 5, 3));
    let started = std::time::Instant::now();
    profile::reset();
    for _ in 0..2 {
        let (out, tape) = layer
            .forward_train(x.view().into_dyn(), CallArgs::default())
            .unwrap();
        let cotangent = ArrayD::<f32>::ones(out.output.raw_dim());
        layer.backward(&tape, &[cotangent.view()]).unwrap();
    }
    let parts = profile::take();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1e3;
    for part in ["forward: time loop", "backward: recurrent loop"] {
        assert!(
            parts.iter().any(|(name, _)| *name == part),
            "{part} is missing from {parts:?}"
        );
    }
    // Other tests' steps running meanwhile are counted too, so the bound
    // is loose; a count that wrapped around is not within it.
    assert!(
        parts
            .iter()
            .all(|(_, ms)| (0.0..=8.0 * elapsed_ms).contains(ms)),
        "{parts:?} in {elapsed_ms} ms"
    );
    assert!(profile::take().is_empty(), "take stops the counting");
}

/// The line `fit`'s progress prints for an epoch: the epoch padded to the
/// width of the count, the loss to four places, the accuracy to three.
#[test]
fn an_epoch_report_is_one_line_of_progress() {
    use rnn_basics::train::EpochReport;
    let report = |epoch, accuracy| EpochReport {
        epoch,
        epochs: 30,
        loss: 0.65321,
        accuracy,
    };
    assert_eq!(
        report(3, Some(0.75)).to_string(),
        "epoch  3/30  loss 0.6532  accuracy 0.750"
    );
    assert_eq!(report(12, None).to_string(), "epoch 12/30  loss 0.6532");
}

/// An epoch's accuracy counts every batch's right answers, the short last
/// one's too: with a learning rate of zero it is the whole data's.
#[test]
fn an_epochs_accuracy_counts_every_batch() {
    for seed in 0..4 {
        let mut model = sentiment_model(5, seed);
        let history = one_epoch_standing_still(&mut model);
        let right = words_right(&model) as f32 / 4.0;
        assert_eq!(history.accuracy, [right], "seed {seed}");
    }
}

/// Cross-entropy's value worked by hand: two logits alike give ln 2 for
/// either label, even as large as 1000 (the softmax is taken from the
/// row's largest logit, so nothing overflows); logits (0, ln 3) give
/// probabilities (1/4, 3/4), so label 1 costs ln(4/3). The loss is the mean
/// of the two, and the gradient (softmax - one-hot) / 2.
#[test]
fn softmax_cross_entropy_is_worked_by_hand() {
    let logits = array![[1000.0f32, 1000.0], [0.0, 3.0f32.ln()]].into_dyn();
    let labels = array![0usize, 1].into_dyn();
    let (loss, grad) = train::softmax_cross_entropy(logits.view(), labels.view()).unwrap();
    let want = (2.0f32.ln() + (4.0f32 / 3.0).ln()) / 2.0;
    assert!((loss - want).abs() < 1e-6, "{loss} vs {want}");
    let want_grad = array![[-0.25f32, 0.25], [0.125, -0.125]].into_dyn();
    assert!(max_diff(&grad, &want_grad) < 1e-6, "{grad} vs {want_grad}");
}
