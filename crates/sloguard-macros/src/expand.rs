//! The code `#[sli]` writes around a function.
//!
//! - A `static` call site resolves the SLO and the operation histograms once.
//! - A guard starts the clock before the body and records the call when the body returns; if
//!   it never returns (a panic, a dropped future) the guard's `Drop` records it.
//! - Sync bodies run in a closure and async bodies in an inner async block, so `return` and
//!   `?` inside them come back to the instrumentation instead of leaving the function.
//! - A function rewritten by `#[async_trait]` (body `Box::pin(async move { ... })`) is
//!   instrumented inside its future, so the call is timed and recorded when it is awaited.

use proc_macro2::TokenStream;
use quote::{quote, ToTokens};
use syn::visit::Visit;
use syn::{Block, Expr, ItemFn, ReturnType, Stmt};

use crate::attr::Args;

pub(crate) fn expand(args: &Args, mut function: ItemFn) -> TokenStream {
    let slo = &args.slo;
    let operation = args
        .operation
        .as_ref()
        .map(|o| o.value())
        .unwrap_or_else(|| function.sig.ident.to_string());
    let registry = match &args.registry {
        Some(expr) => {
            quote!(::core::option::Option::Some(::sloguard::attribute::IntoRegistry::into_registry(#expr)))
        }
        None => quote!(::core::option::Option::None),
    };
    // A site of the default registry tells the program which SLO it feeds before it first
    // runs, so the layer never feeds that SLO with requests, whichever runs first.
    let declaration = args.registry.is_none().then(|| {
        quote! {
            ::sloguard::__private::inventory::submit! {
                ::sloguard::__private::NamedSlo::new(#slo, ::core::concat!(::core::file!(), ":", ::core::line!()))
            }
        }
    });
    let prologue = quote! {
        #declaration
        static __SLOGUARD_SITE: ::sloguard::__private::CallSite =
            ::sloguard::__private::CallSite::new(#slo, #operation, ::core::concat!(::core::file!(), ":", ::core::line!()));
        let __sloguard_guard = ::sloguard::__private::Guard::start(__SLOGUARD_SITE.resolve(|| #registry));
    };
    let judge = judge(args);
    let convert = into_response(&function.sig.output);
    let body = &function.block;

    let new_body = if let Some(inner) = async_trait_future(&function.block) {
        // `Box::pin(async move { body })`: instrument inside the future.
        let inner_body = &inner.block;
        let instrumented = quote! {
            ::std::boxed::Box::pin(async move {
                #prologue
                #[allow(unreachable_code, clippy::diverging_sub_expression)]
                let __sloguard_result = async move #inner_body.await;
                #judge
                __sloguard_result
            })
        };
        quote!({ #instrumented })
    } else if function.sig.asyncness.is_some() {
        let bind = typed_result(&function.sig.output);
        quote!({
            #prologue
            // A diverging body makes the tail unreachable; that is the user's code, not a bug.
            #[allow(unreachable_code, clippy::diverging_sub_expression)]
            let __sloguard_result = async move { #bind #body; __sloguard_r }.await;
            #convert
            #judge
            __sloguard_result
        })
    } else {
        let bind = typed_result(&function.sig.output);
        quote!({
            #prologue
            #[allow(clippy::redundant_closure_call, clippy::diverging_sub_expression, unreachable_code)]
            let __sloguard_result = (move || { #bind #body; __sloguard_r })();
            #convert
            #judge
            __sloguard_result
        })
    };
    function.block = Box::new(syn::parse2(new_body).unwrap_or_else(|_| (*function.block).clone()));
    function.into_token_stream()
}

/// For a function returning `impl IntoResponse` (axum's trait, by whatever path it is
/// written), the value made into the response it stands for, so it is judged as the layer
/// judges responses (5xx bad, 4xx good) instead of as an opaque value. The function still
/// returns `impl IntoResponse`: a response is one.
fn into_response(output: &ReturnType) -> Option<TokenStream> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let syn::Type::ImplTrait(imp) = &**ty else {
        return None;
    };
    let path = imp.bounds.iter().find_map(|b| match b {
        syn::TypeParamBound::Trait(t)
            if t.path
                .segments
                .last()
                .is_some_and(|s| s.ident == "IntoResponse" && s.arguments.is_empty()) =>
        {
            Some(&t.path)
        }
        _ => None,
    })?;
    Some(quote! {
        let __sloguard_result = #path::into_response(__sloguard_result);
    })
}

/// `let __sloguard_r: T =` when the return type can be written in a `let` (not `impl Trait`),
/// so `?` and `return` in the body have the function's type to convert into.
fn typed_result(output: &ReturnType) -> TokenStream {
    match output {
        ReturnType::Type(_, ty) if !contains_impl_trait(ty) => quote!(let __sloguard_r: #ty =),
        ReturnType::Type(..) => quote!(let __sloguard_r =),
        ReturnType::Default => quote!(let __sloguard_r: () =),
    }
}

fn contains_impl_trait(ty: &syn::Type) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut finder = Finder(false);
    finder.visit_type(ty);
    finder.0
}

/// The outcome of `__sloguard_result`, then the record.
fn judge(args: &Args) -> TokenStream {
    let bad = match &args.bad_if {
        Some(p) => quote!(::core::option::Option::Some(#p(&__sloguard_result))),
        None => quote!(::core::option::Option::None),
    };
    let good = match &args.good_if {
        Some(p) => quote!(::core::option::Option::Some(#p(&__sloguard_result))),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        #[allow(unreachable_code)]
        {
            #[allow(unused_imports)]
            use ::sloguard::__private::{ViaAny as _, ViaClassifyError as _, ViaHttp as _, ViaResult as _};
            let __sloguard_default = (&&&&::sloguard::__private::Probe(&__sloguard_result)).__sloguard_outcome();
            __sloguard_guard.finish(::sloguard::__private::decide(__sloguard_default, #bad, #good));
        }
    }
}

/// The `async move { .. }` of a body that is exactly `Box::pin(async move { .. })`, as
/// `#[async_trait]` writes it.
fn async_trait_future(block: &Block) -> Option<&syn::ExprAsync> {
    let [Stmt::Expr(Expr::Call(call), None)] = block.stmts.as_slice() else {
        return None;
    };
    let Expr::Path(func) = &*call.func else {
        return None;
    };
    let segments: Vec<String> = func
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    if !segments.ends_with(&["Box".to_owned(), "pin".to_owned()]) || call.args.len() != 1 {
        return None;
    }
    match call.args.first() {
        Some(Expr::Async(inner)) if inner.capture.is_some() => Some(inner),
        _ => None,
    }
}
