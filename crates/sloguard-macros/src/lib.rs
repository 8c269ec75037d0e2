//! The `#[sli]` attribute of sloguard: every call of the function becomes an SLI event.
//!
//! Use it through the `sloguard` crate (`sloguard::sli`), which holds the runtime it expands
//! to. Parsing of the attribute's options lives in `attr`, the code it writes in `expand`,
//! as in tracing-attributes.
//!
//! ```
//! use sloguard::{model::Slo, Registry};
//!
//! let registry = Registry::builder("worker").build();
//! registry.register(Slo::availability("jobs").build().unwrap()).unwrap();
//! sloguard::attribute::set_default_registry(registry.clone()).unwrap();
//!
//! #[sloguard::sli(slo = "jobs")]
//! fn run_job(n: u32) -> Result<u32, String> {
//!     if n == 0 { Err("empty job".into()) } else { Ok(n) }
//! }
//!
//! assert!(run_job(0).is_err());
//! assert_eq!(registry.slo("jobs").unwrap().counts().bad, 1);
//! ```

use proc_macro::TokenStream;

mod attr;
mod expand;

/// Records every call of the function as an SLI event of the named SLO.
///
/// Options: `slo = "name"` (required), `operation = "name"` (default: the function's name),
/// `bad_if = path` / `good_if = path` (functions of `&ReturnType` returning `bool`, which
/// override the default outcome), `registry = expr` (a `Registry` or `&Registry`; default: the
/// process-wide one).
#[proc_macro_attribute]
pub fn sli(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = match syn::parse::<attr::Args>(args) {
        Ok(args) => args,
        Err(e) => return e.to_compile_error().into(),
    };
    let function = match syn::parse::<syn::ItemFn>(item) {
        Ok(f) => f,
        Err(e) => {
            return syn::Error::new(e.span(), "#[sli] goes on a function or method")
                .to_compile_error()
                .into();
        }
    };
    expand::expand(&args, function).into()
}
