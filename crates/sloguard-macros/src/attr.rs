//! Parsing of `#[sli(...)]` options. Every error points at the token at fault and says what
//! is expected there.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Expr, Ident, LitStr, Path, Token};

const OPTIONS: &str = "slo, operation, bad_if, good_if, registry";

/// The options of one `#[sli(...)]`.
pub(crate) struct Args {
    pub(crate) slo: LitStr,
    pub(crate) operation: Option<LitStr>,
    pub(crate) bad_if: Option<Path>,
    pub(crate) good_if: Option<Path>,
    pub(crate) registry: Option<Expr>,
}

fn string(input: ParseStream<'_>, example: &str) -> syn::Result<LitStr> {
    if input.peek(LitStr) {
        return input.parse();
    }
    Err(input.error(format!("expected a string literal, as in `{example}`")))
}

fn path(input: ParseStream<'_>, name: &str) -> syn::Result<Path> {
    input.parse::<Path>().map_err(|e| {
        syn::Error::new(e.span(), format!("expected a path to a function `fn(&ReturnType) -> bool`, as in `{name} = is_retryable`"))
    })
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut slo = None;
        let mut operation = None;
        let mut bad_if = None;
        let mut good_if = None;
        let mut registry = None;
        while !input.is_empty() {
            let name: Ident = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    format!("expected an option name: one of {OPTIONS}"),
                )
            })?;
            input
                .parse::<Token![=]>()
                .map_err(|e| syn::Error::new(e.span(), format!("expected `=` after `{name}`")))?;
            let duplicate = || syn::Error::new(name.span(), format!("`{name}` is given twice"));
            match name.to_string().as_str() {
                "slo" => {
                    let v = string(input, "slo = \"checkout-availability\"")?;
                    if v.value().trim().is_empty() {
                        return Err(syn::Error::new(v.span(), "the SLO name is empty"));
                    }
                    slo.replace(v).map_or(Ok(()), |_| Err(duplicate()))?;
                }
                "operation" => {
                    let v = string(input, "operation = \"charge_card\"")?;
                    operation.replace(v).map_or(Ok(()), |_| Err(duplicate()))?;
                }
                "bad_if" => bad_if
                    .replace(path(input, "bad_if")?)
                    .map_or(Ok(()), |_| Err(duplicate()))?,
                "good_if" => good_if
                    .replace(path(input, "good_if")?)
                    .map_or(Ok(()), |_| Err(duplicate()))?,
                "registry" => registry
                    .replace(input.parse::<Expr>()?)
                    .map_or(Ok(()), |_| Err(duplicate()))?,
                other => {
                    return Err(syn::Error::new(
                        name.span(),
                        format!("unknown option `{other}`; expected one of {OPTIONS}"),
                    ))
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        let slo = slo.ok_or_else(|| {
            syn::Error::new(
                Span::call_site(),
                "missing `slo = \"...\"`: name the SLO that this function's calls count toward",
            )
        })?;
        Ok(Args {
            slo,
            operation,
            bad_if,
            good_if,
            registry,
        })
    }
}
