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
    /// The 1-based document of a multi-document file, when it has several.
    pub document: Option<usize>,
    /// The format the document is written in (`Sloth prometheus/v1`, `OpenSLO v1`, ...).
    pub format: Option<&'static str>,
    /// The object at fault, in the format's words (`SLI "latency-sli"`), when the format has
    /// named objects.
    pub object: Option<String>,
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
            document: None,
            format: None,
            object: None,
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn with_format(mut self, format: crate::Format) -> Self {
        if format != crate::Format::Native {
            self.format.get_or_insert(format.name());
        }
        self
    }

    #[cfg(feature = "tools")]
    pub(crate) fn in_object(mut self, object: impl Into<String>) -> Self {
        self.object.get_or_insert_with(|| object.into());
        self
    }

    pub(crate) fn at(mut self, line: Option<usize>, column: Option<usize>) -> Self {
        self.line = self.line.or(line);
        self.column = self.column.or(column);
        self
    }
}

/// A refusal of `field`, as an `Err`.
#[cfg(feature = "tools")]
pub(crate) fn refuse<T>(field: impl Into<String>, why: impl Into<String>) -> Result<T, SpecError> {
    Err(SpecError::new(field, why))
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
        if let Some(document) = self.document {
            write!(f, "document {document}: ")?;
        }
        if let Some(format) = self.format {
            write!(f, "{format}: ")?;
        }
        if let Some(object) = &self.object {
            write!(f, "{object}: ")?;
        }
        if !self.field.is_empty() {
            write!(f, "field `{}`: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for SpecError {}
