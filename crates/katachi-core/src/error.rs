//! The one error type of katachi.

use std::io;
use std::path::Path;
use std::sync::Arc;

/// Everything that can go wrong when runtime data meets a typed shape.
///
/// Every message says what was expected and what was found, in plain numbers;
/// shapes print as `[_, 784]`, where `_` is an extent only known at run time.
///
/// New variants may come in later versions (`#[non_exhaustive]`): match
/// with a `_` arm. Two errors are equal when they are the same variant with
/// the same message (for [`Error::Io`], the same file and the same kind and
/// text of the operating system's error).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A buffer's length does not match the shape it is meant to fill.
    #[error("{what}: expected {expected} elements for shape {shape}, found {found}")]
    Length {
        /// What was being built, e.g. `"tensor data"`.
        what: &'static str,
        /// The shape, e.g. `[2, 3]`.
        shape: String,
        /// Elements the shape holds.
        expected: usize,
        /// Elements supplied.
        found: usize,
    },
    /// Runtime extents do not fit a typed shape, or two tensors disagree.
    #[error("{what}: expected shape {expected}, found {found}")]
    Shape {
        /// What was being checked, e.g. `"zip_map"`.
        what: &'static str,
        /// The shape that was required.
        expected: String,
        /// The shape that was supplied.
        found: String,
    },
    /// A class label is not below the number of classes.
    #[error(
        "label {label} at row {row} is out of range: there are {classes} classes (0..{classes})"
    )]
    LabelOutOfRange {
        /// Row of the offending label.
        row: usize,
        /// The label.
        label: usize,
        /// Number of classes.
        classes: usize,
    },
    /// A file could not be read or written.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The operating system's error (shared, so that the error stays
        /// `Clone`); also [`std::error::Error::source`].
        #[source]
        source: Arc<io::Error>,
    },
    /// A file's content is malformed or does not fit what it should hold.
    #[error("{file}: {problem}")]
    Format {
        /// The file.
        file: String,
        /// What is wrong, with the numbers involved.
        problem: String,
    },
    /// A training checkpoint that a run cannot continue from: written for
    /// another network, optimiser, batch size, seed or data set.
    #[error("cannot resume from {file}: {reason}")]
    Resume {
        /// The checkpoint.
        file: String,
        /// What differs, with both sides.
        reason: String,
    },
    /// Training diverged: the loss is no longer a finite number.
    #[error(
        "the loss became {loss} at epoch {epoch}, step {step}: training diverged; try a smaller learning rate"
    )]
    Diverged {
        /// The epoch (from 1).
        epoch: usize,
        /// The step within the epoch (from 1).
        step: usize,
        /// The loss as printed (`NaN`, `inf`).
        loss: String,
    },
    /// A number that has to be finite is NaN or infinite: in data entering
    /// training or evaluation, or in a parameter about to be used or saved.
    #[error("{what} holds {value} at {at}")]
    NonFinite {
        /// Whose number it is: "the training data", "parameter `affine1.weight`".
        what: String,
        /// Where, e.g. "sample 7, element 300".
        at: String,
        /// The value as printed (`NaN`, `inf`, `-inf`).
        value: String,
    },
    /// A setting is outside the range where it means anything (a learning
    /// rate of zero, a negative weight decay, an empty batch).
    #[error("{setting} is {value}: {expected}")]
    Setting {
        /// The setting, e.g. "the learning rate" or "--batch".
        setting: String,
        /// The value given.
        value: String,
        /// What it must be.
        expected: String,
    },
    /// One rank of a data-parallel job failed; every rank returns this
    /// together (see [`train::parallel`](crate::train::parallel)).
    #[error("rank {rank} of {size} failed: {cause}")]
    Rank {
        /// The rank that failed, from 0.
        rank: usize,
        /// The number of ranks in the job.
        size: usize,
        /// That rank's error, as it printed it.
        cause: String,
    },
    /// A prediction and its target have different numbers of rows.
    #[error("{what}: the input has {input} rows but the target has {target}")]
    BatchMismatch {
        /// What was being computed, e.g. `"cross_entropy"`.
        what: &'static str,
        /// Rows of the input (predictions).
        input: usize,
        /// Rows of the target.
        target: usize,
    },
}

impl Error {
    /// A file that could not be read or written, with the operating
    /// system's error.
    ///
    /// ```
    /// use std::io;
    /// let err = katachi::Error::io("weights.safetensors".as_ref(), io::Error::from(io::ErrorKind::PermissionDenied));
    /// assert_eq!(err.io_error().map(io::Error::kind), Some(io::ErrorKind::PermissionDenied));
    /// assert!(err.to_string().starts_with("weights.safetensors: "));
    /// ```
    pub fn io(file: &Path, error: io::Error) -> Self {
        Error::Io {
            file: file.display().to_string(),
            source: Arc::new(error),
        }
    }

    /// A file problem that is not the operating system's (a folder where a
    /// file should be, a name not found under any spelling), as an
    /// [`Error::Io`] of `kind`.
    pub fn io_problem(file: &Path, kind: io::ErrorKind, problem: impl Into<String>) -> Self {
        Self::io(file, io::Error::new(kind, problem.into()))
    }

    /// A setting outside the range where it means anything: "`setting` is
    /// `value`: `expected`".
    ///
    /// ```
    /// let err = katachi::Error::setting("the patience", 0, "it must be at least 1 epoch");
    /// assert_eq!(err.to_string(), "the patience is 0: it must be at least 1 epoch");
    /// ```
    pub fn setting(
        setting: impl Into<String>,
        value: impl ToString,
        expected: impl Into<String>,
    ) -> Self {
        Error::Setting {
            setting: setting.into(),
            value: value.to_string(),
            expected: expected.into(),
        }
    }

    /// Something under a file's name that is not a regular file (a folder,
    /// a FIFO, a socket, a device), named for what it is: "is a folder, not
    /// `wanted`". Reading a FIFO could block and a device never end, so
    /// such a path is refused before it is opened.
    pub fn not_a_file(file: &Path, meta: &std::fs::Metadata, wanted: &str) -> Self {
        let (kind, what) = if meta.is_dir() {
            (io::ErrorKind::IsADirectory, "a folder")
        } else {
            (
                io::ErrorKind::InvalidInput,
                "not a regular file (a FIFO, a socket or a device)",
            )
        };
        Self::io_problem(file, kind, format!("is {what}, not {wanted}"))
    }

    /// The operating system's error, for an [`Error::Io`].
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }

    /// A file whose content is not what it should be.
    pub fn format(file: &str, problem: impl Into<String>) -> Self {
        Error::Format {
            file: file.to_string(),
            problem: problem.into(),
        }
    }
}

impl PartialEq for Error {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Error::Io { file: a, source: x }, Error::Io { file: b, source: y }) => {
                a == b && x.kind() == y.kind() && x.to_string() == y.to_string()
            }
            // Every other variant's message shows all its fields.
            _ => {
                std::mem::discriminant(self) == std::mem::discriminant(other)
                    && self.to_string() == other.to_string()
            }
        }
    }
}

impl Eq for Error {}

/// `Ok` if `value` is a finite number above 0 (a rate, a limit), else the
/// [`Error::Setting`] that says so.
pub(crate) fn require_positive(setting: &str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::setting(
            setting,
            value,
            "it must be a finite number above 0",
        ))
    }
}

/// `Ok` if `value` is a finite number, 0 or more (a decay, a margin).
pub(crate) fn require_non_negative(setting: &str, value: f64) -> Result<()> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(Error::setting(
            setting,
            value,
            "it must be a finite number, 0 or more",
        ))
    }
}

/// `Result` with katachi's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
