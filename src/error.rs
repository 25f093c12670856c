//! Errors of the command line and the exit codes (SPEC §2): the only place that knows 0/1/2/3.

use std::path::PathBuf;

use crate::diag::Diagnostic;

/// How a run ended; the worst outcome of all files wins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Everything worked (exit 0).
    #[default]
    Success,
    /// `check` found drift (exit 1): a result, not an error.
    Drift,
    /// Invalid input or usage (exit 2).
    Invalid,
    /// A file could not be read or written (exit 3).
    Io,
}

impl Outcome {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Outcome::Success => 0,
            Outcome::Drift => 1,
            Outcome::Invalid => 2,
            Outcome::Io => 3,
        }
    }
}

/// Why one input could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file's content is wrong; each diagnostic names the key.
    #[error("{} problem(s) in {file}", diagnostics.len())]
    Input {
        /// The file as the user named it.
        file: String,
        /// Its text (for rendering), lossy if it was not UTF-8.
        source_text: String,
        /// Every problem found.
        diagnostics: Vec<Diagnostic>,
    },
    /// Usage that cannot work (an existing file for `init`, …).
    #[error("{0}")]
    Usage(String),
    /// Reading or writing failed.
    #[error("{action} {}: {source}", crate::encode::one_line(&path.display().to_string()))]
    Io {
        /// What was being done ("cannot read").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl From<crate::emit::EmitError> for Error {
    fn from(e: crate::emit::EmitError) -> Error {
        if e.in_the_way {
            return Error::Usage(e.to_string());
        }
        Error::Io {
            action: e.action,
            path: e.path,
            source: e.source,
        }
    }
}

impl Error {
    /// The outcome this error stands for.
    pub fn outcome(&self) -> Outcome {
        match self {
            Error::Input { .. } | Error::Usage(_) => Outcome::Invalid,
            Error::Io { .. } => Outcome::Io,
        }
    }

    /// The message for stderr: rendered diagnostics, or one line.
    pub fn render(&self) -> String {
        match self {
            Error::Input {
                file,
                source_text,
                diagnostics,
            } => diagnostics
                .iter()
                .map(|d| d.render(file, source_text))
                .collect::<Vec<_>>()
                .join("\n"),
            Error::Usage(_) | Error::Io { .. } => format!("error: {self}\n"),
        }
    }
}
