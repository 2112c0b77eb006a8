//! The types flowing between fields, as impl parameters: `__KatachiX0` is
//! what arrives at the first field, `__KatachiX{i}` at field `i`.

use proc_macro2::{Span, TokenStream};
use quote::format_ident;
use syn::spanned::Spanned;
use syn::{GenericParam, Generics, Ident, WherePredicate, parse_quote, parse_quote_spanned};

use crate::ast::LayerField;

/// One type parameter per value flowing between layers: `__KatachiX0` is the
/// network's input, `__KatachiX{i}` what field `i` takes.
pub(crate) fn flow_idents(n: usize) -> Vec<Ident> {
    (0..n).map(|i| format_ident!("__KatachiX{}", i)).collect()
}

/// The struct's generics with the flow parameters appended.
pub(crate) fn with_flow(generics: &Generics, flow: &[Ident]) -> Generics {
    let mut g = generics.clone();
    for x in flow {
        g.params.push(GenericParam::Type(parse_quote!(#x)));
    }
    g
}

/// `F0: Trait<X0, Assoc = X1>, F1: Trait<X1, Assoc = X2>, …, Fn: Trait<Xn>`,
/// each spanned at its field so an unsatisfied bound points there.
pub(crate) fn chain_bounds(
    layers: &[LayerField<'_>],
    flow: &[Ident],
    trait_path: TokenStream,
    assoc: &str,
) -> Vec<WherePredicate> {
    let assoc = Ident::new(assoc, Span::call_site());
    layers
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let ty = f.ty;
            let x = &flow[i];
            match flow.get(i + 1) {
                Some(next) => {
                    parse_quote_spanned!(ty.span()=> #ty: #trait_path<#x, #assoc = #next>)
                }
                None => parse_quote_spanned!(ty.span()=> #ty: #trait_path<#x>),
            }
        })
        .collect()
}
