//! Neighbour-by-neighbour shape checks, reported at the field.
//!
//! For each layer field after the first, the check compares what the field
//! would take (`Signature::Input`) with what arrives from the field before
//! (`Signature::Output`), as per-sample array types such as `[f32; 60]`.
//! The comparison is a bound `Arrives: Fits<Takes>` on a marker trait made
//! for that pair, implemented only for equal types, whose
//! `#[diagnostic::on_unimplemented]` message names both fields. Array types
//! print as plain numbers, so the error reads
//! "`affine2` takes [f32; 60] but `relu1` produces [f32; 50]".
//!
//! The checks live in the body of an associated `const fn`: bodies are
//! type-checked by `cargo check`, generically for generic structs, so a
//! mismatch is an error at the definition, not at a use.
//!
//! Extents the compiler computes (after a convolution, a pool, a flatten)
//! have no array type to compare; their per-sample type is `Deferred` on
//! both sides, so the type-level check passes, and a second check per pair
//! compares the extents by value in a `const` block that panics with the
//! same kind of message, at the field. A third, per field, reports a window
//! larger than its input. The function is evaluated by a `const _` item for
//! a struct without generics (so `cargo check` reports it) and by the
//! derived `forward` and `predict` otherwise (at instantiation).

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::spanned::Spanned;

use crate::ast::Network;
use crate::expand::network_input;

/// Gives every token `span`. rustc reports an unsatisfied bound at the span
/// of the whole generic argument, and tokens interpolated from elsewhere
/// (the `::katachi` paths, earlier fields' types) would pull it back to the
/// derive attribute; respanning keeps the caret on the field.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let TokenTree::Group(g) = &tt {
                let mut group = Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

pub(crate) fn shape_checks(net: &Network<'_>) -> TokenStream {
    let private = quote!(::katachi::__private);
    let first = net.layers[0].ty;
    let input = network_input(net);
    let input_span = net
        .attrs
        .input
        .as_ref()
        .map_or_else(|| first.span(), Spanned::span);
    // The type flowing between fields is threaded through values: if a field
    // is not a layer, its error makes `x` an error type, and rustc stays
    // silent about every later use instead of repeating the error per field.
    let mut items = vec![respan(
        quote!(let x = ::core::marker::PhantomData::<#input>;),
        input_span,
    )];
    for (i, field) in net.layers.iter().enumerate() {
        let ty = field.ty;
        let name = field.ident.to_string();
        let source = match i {
            0 if net.attrs.input.is_none() => None,
            0 => Some("the network's input is {Self}".to_string()),
            _ => Some(format!("`{}` produces {{Self}}", net.layers[i - 1].ident)),
        };
        let field_name = format!("`{name}`");
        let window = format_ident!("__katachi_window_{}", i);
        items.push(respan(
            quote! {
                const fn #window<L, X>(_: &::core::marker::PhantomData<X>)
                where
                    L: ::katachi::layer::Signature<X>,
                    X: ::katachi::layer::HasSample,
                    #private::Output<L, X>: ::katachi::layer::HasSample,
                {
                    const {
                        if let ::core::option::Option::Some(message) =
                            #private::window::<X, #private::Output<L, X>>(#field_name)
                        {
                            ::core::panic!("{}", message.as_str());
                        }
                    }
                }
                #window::<#ty, _>(&x);
            },
            ty.span(),
        ));
        if let Some(source) = source {
            // Extents the compiler computes (after a convolution, a flatten)
            // are compared by value: a constant that fails to evaluate,
            // with the same message, reported at the field.
            let sizes = format_ident!("__katachi_sizes_{}", i);
            let taker = format!("`{name}` takes ");
            let giver = format!(" but {}", source.replace("{Self}", ""));
            items.push(respan(
                quote! {
                    const fn #sizes<L, X>(_: &::core::marker::PhantomData<X>)
                    where
                        L: ::katachi::layer::Signature<X>,
                        X: ::katachi::layer::HasSample,
                        #private::Input<L, X>: ::katachi::layer::HasSample,
                    {
                        const {
                            if let ::core::option::Option::Some(message) =
                                #private::mismatch::<X, #private::Input<L, X>>(#taker, #giver)
                            {
                                ::core::panic!("{}", message.as_str());
                            }
                        }
                    }
                    #sizes::<#ty, _>(&x);
                },
                ty.span(),
            ));

            // Named for the field, so rustc's "the trait `affine2_takes<[f32; 60]>`
            // is not implemented for `[f32; 50]`" reads as a sentence.
            let marker = format_ident!("{}_takes", field.ident);
            let probe = format_ident!("__katachi_fits_{}", i);
            let message = format!("`{name}` takes {{Expected}} but {source}");
            let label = format!("`{name}` cannot take this");
            let note =
                "shapes are per sample, written as array types: [f32; 50] is a row of 50 numbers";
            let item = quote! {
                #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
                trait #marker<Expected: ?Sized> {}
                impl<T: ?Sized> #marker<T> for T {}
                const fn #probe<L, X>(_: &::core::marker::PhantomData<X>)
                where
                    L: ::katachi::layer::Signature<X>,
                    X: ::katachi::layer::HasSample,
                    #private::Input<L, X>: ::katachi::layer::HasSample,
                    #private::Sample<X>: #marker<#private::Sample<#private::Input<L, X>>>,
                {
                }
                #probe::<#ty, _>(&x);
            };
            items.push(respan(item, ty.span()));
        }
        items.push(respan(
            quote!(let x = #private::next::<#ty, _>(x);),
            ty.span(),
        ));
    }
    items.push(quote!(let _ = x;));

    let ident = &net.original.ident;
    let (impl_generics, ty_generics, where_clause) = net.original.generics.split_for_impl();
    // A struct without generics is checked where it is defined, by `cargo
    // check`; a generic one when the `Layer` impl is instantiated (see
    // `expand::layer_impl`), the first point where its extents are numbers.
    let evaluate = net
        .original
        .generics
        .params
        .is_empty()
        .then(|| quote!(const _: () = #ident::__katachi_check_shapes();));
    quote! {
        #[automatically_derived]
        impl #impl_generics #ident #ty_generics #where_clause {
            #[allow(dead_code, non_camel_case_types)]
            const fn __katachi_check_shapes() {
                #(#items)*
            }
        }
        #evaluate
    }
}
