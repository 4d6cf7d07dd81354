use ndarray::{Array2, ArrayD, ArrayView2, ArrayViewD, ArrayViewMut2, Axis};

use crate::{Error, Result, show};

/// Keras's `Embedding`: token ids to vectors, row `id` of `embeddings`.
/// With `mask_zero`, id 0 is padding: the mask it makes `(batch, time)` is
/// `false` there, and the recurrent layer after it skips those steps.
///
/// # Shapes
///
/// - input: `(batch, time)` token ids (whole numbers in `0..input_dim`, as `f32`)
/// - output: `(batch, time, output_dim)`
/// - `embeddings`: `(input_dim, output_dim)`
///
/// # Example
///
/// ```
/// use ndarray::array;
/// use rnn_basics::layers::Embedding;
///
/// let emb = Embedding::from_weights(array![[0.0f32, 0.0], [1.0, 2.0], [3.0, 4.0]], true)?;
/// let ids = array![[2.0f32, 1.0, 0.0]].into_dyn();
/// let y = emb.forward(ids.view())?;
/// assert_eq!(y.shape(), &[1, 3, 2]);
/// assert_eq!(y[[0, 0, 1]], 4.0);
/// assert_eq!(emb.compute_mask(ids.view()).unwrap(), array![[true, true, false]]);
/// # Ok::<(), rnn_basics::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Embedding {
    embeddings: Array2<f32>,
    mask_zero: bool,
}

impl Embedding {
    /// An embedding with the given table `(input_dim, output_dim)`.
    pub fn from_weights(embeddings: Array2<f32>, mask_zero: bool) -> Result<Self> {
        if embeddings.is_empty() {
            return Err(Error::shape(
                "Embedding",
                "embeddings",
                "(input_dim, output_dim), both positive",
                show::shape(embeddings.shape()),
            ));
        }
        Ok(Embedding {
            embeddings,
            mask_zero,
        })
    }

    /// The number of token ids (Keras's `input_dim`).
    pub fn input_dim(&self) -> usize {
        self.embeddings.nrows()
    }

    /// The size of each vector (Keras's `output_dim`).
    pub fn output_dim(&self) -> usize {
        self.embeddings.ncols()
    }

    /// Whether id 0 is padding that makes a mask.
    pub fn mask_zero(&self) -> bool {
        self.mask_zero
    }

    /// The table, `(input_dim, output_dim)`.
    pub fn embeddings(&self) -> ArrayView2<'_, f32> {
        self.embeddings.view()
    }

    /// The table, to change.
    pub fn embeddings_mut(&mut self) -> ArrayViewMut2<'_, f32> {
        self.embeddings.view_mut()
    }

    /// `input_dim · output_dim`.
    pub fn param_count(&self) -> usize {
        self.embeddings.len()
    }

    /// `(batch, time)` to `(batch, time, output_dim)`.
    pub fn output_shape(&self, input: &[Option<usize>]) -> Result<Vec<Option<usize>>, String> {
        if input.len() != 2 {
            return Err(format!(
                "it needs (batch, time) token ids, got {}",
                show::shape_opt(input)
            ));
        }
        let mut out = input.to_vec();
        out.push(Some(self.output_dim()));
        Ok(out)
    }

    /// Looks every id up; an id that is not a whole number in
    /// `0..input_dim` is an error naming it and where it is.
    pub fn forward(&self, ids: ArrayViewD<'_, f32>) -> Result<ArrayD<f32>> {
        if ids.ndim() != 2 {
            return Err(Error::shape(
                "Embedding",
                "input",
                "(batch, time) token ids",
                show::shape(ids.shape()),
            ));
        }
        let ids = ids
            .into_dimensionality::<ndarray::Ix2>()
            .expect("rank checked");
        let (batch, time) = ids.dim();
        let mut out = ndarray::Array3::<f32>::zeros((batch, time, self.output_dim()));
        for (((b, t), &id), mut row) in ids.indexed_iter().zip(out.lanes_mut(Axis(2))) {
            let row_id = self.row(id).ok_or_else(|| {
                Error::config(
                    "Embedding",
                    format!(
                        "input at [{b}, {t}]: expected a token id in 0..{}, got {id}",
                        self.input_dim()
                    ),
                )
            })?;
            row.assign(&self.embeddings.row(row_id));
        }
        Ok(out.into_dyn())
    }

    fn row(&self, id: f32) -> Option<usize> {
        (id >= 0.0 && id.fract() == 0.0 && (id as usize) < self.input_dim()).then_some(id as usize)
    }

    /// With `mask_zero`: `true` where the id is not 0; else no mask.
    pub fn compute_mask(&self, ids: ArrayViewD<'_, f32>) -> Option<Array2<bool>> {
        if !self.mask_zero {
            return None;
        }
        let ids = ids.into_dimensionality::<ndarray::Ix2>().ok()?;
        Some(ids.mapv(|id| id != 0.0))
    }
}
