//! Which operations (routes, gRPC methods, named calls) feed an SLO.

use std::fmt;
use std::sync::Arc;

/// The operation of events that carry no operation name (a request no route matched) and of
/// everything past the layer's cardinality cap.
pub const OTHER_OPERATION: &str = "other";

/// Selects the operations whose events an SLO judges. Operations are route templates
/// (`/users/{id}`), gRPC methods (`/pkg.Service/Method`) or names given to calls; `other` is
/// the operation that collects everything past the cardinality cap.
#[derive(Clone, Default)]
pub enum Selector {
    /// Every operation, `other` included (the default).
    #[default]
    All,
    /// Exactly these operations.
    Routes(Vec<String>),
    /// Operations starting with this prefix.
    Prefix(String),
    /// Operations for which the function returns true.
    Predicate(Arc<dyn Fn(&str) -> bool + Send + Sync>),
}

impl Selector {
    /// Exactly these operations.
    pub fn routes<I, S>(routes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Selector::Routes(routes.into_iter().map(Into::into).collect())
    }

    /// Operations starting with `prefix`.
    pub fn prefix(prefix: impl Into<String>) -> Self {
        Selector::Prefix(prefix.into())
    }

    /// Operations for which `f` returns true.
    pub fn predicate(f: impl Fn(&str) -> bool + Send + Sync + 'static) -> Self {
        Selector::Predicate(Arc::new(f))
    }

    /// Whether the events of an operation are selected, where an event without an operation
    /// name belongs to [`OTHER_OPERATION`]: the one routing rule of the layer, the attribute
    /// and `sloguard replay`.
    pub fn selects(&self, operation: Option<&str>) -> bool {
        self.matches(operation.unwrap_or(OTHER_OPERATION))
    }

    /// Whether `operation` is selected.
    pub fn matches(&self, operation: &str) -> bool {
        match self {
            Selector::All => true,
            Selector::Routes(routes) => routes.iter().any(|r| r == operation),
            Selector::Prefix(prefix) => operation.starts_with(prefix.as_str()),
            Selector::Predicate(f) => f(operation),
        }
    }
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::All => f.write_str("All"),
            Selector::Routes(r) => f.debug_tuple("Routes").field(r).finish(),
            Selector::Prefix(p) => f.debug_tuple("Prefix").field(p).finish(),
            Selector::Predicate(_) => f.write_str("Predicate(..)"),
        }
    }
}

impl PartialEq for Selector {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Selector::All, Selector::All) => true,
            (Selector::Routes(a), Selector::Routes(b)) => a == b,
            (Selector::Prefix(a), Selector::Prefix(b)) => a == b,
            (Selector::Predicate(a), Selector::Predicate(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_selector_matches_what_it_says() {
        assert!(Selector::All.matches("other"));
        let routes = Selector::routes(["/pay", "/refund"]);
        assert!(routes.matches("/pay") && !routes.matches("/pay/x") && !routes.matches("other"));
        let prefix = Selector::prefix("/api/");
        assert!(prefix.matches("/api/users") && !prefix.matches("/apix"));
        let pred = Selector::predicate(|op| op.ends_with("Get"));
        assert!(pred.matches("/pkg.Users/Get") && !pred.matches("/pkg.Users/Put"));
        assert_eq!(pred.clone(), pred);
        assert_ne!(Selector::predicate(|_| true), Selector::predicate(|_| true));
    }
}
