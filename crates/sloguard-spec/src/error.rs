//! Spec errors: which file, line, column and field, and what was expected.

use std::fmt;
use std::path::PathBuf;

/// A spec that could not be read or does not define working SLOs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    /// The file, when the spec came from one.
    pub file: Option<PathBuf>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The field at fault, as a path (`slos[0].objective`); empty for syntax errors.
    pub field: String,
    /// What is wrong and what is expected.
    pub message: String,
}

impl SpecError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        SpecError {
            file: None,
            line: None,
            column: None,
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn at(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.line = self.line.or(line);
        self.column = self.column.or(column);
        self
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "{}", file.display())?,
            None => f.write_str("<spec>")?,
        }
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if !self.field.is_empty() {
            write!(f, "field `{}`: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for SpecError {}
