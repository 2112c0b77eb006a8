//! Neighbour-by-neighbour shape checks, reported at the field.
//!
//! The checks are the initialiser of one associated constant,
//! `<Net as katachi::__private::Checked>::SHAPES`, which walks the fields
//! in order with the type flowing between them threaded through values
//! (`let x = next::<Field, _>(x)`): no type nests deeper as fields are
//! added, and a field that is not a layer makes `x` an error type, so rustc
//! stays silent about every later field instead of repeating itself.
//!
//! Per field, two kinds of check:
//!
//! - the element type, at the type level: a bound on a marker trait named
//!   for the field, implemented only for equal types, whose
//!   `#[diagnostic::on_unimplemented]` message reads "`relu` takes f32 but
//!   `affine1` produces f64" (element types print as plain names), at
//!   `cargo check` even for generic structs;
//! - the extents, by value: const functions compare what the field would
//!   take with what arrives and build the message ("`affine2` takes
//!   [_, 60] but `relu1` produces [_, 50]", or a window larger than its
//!   input), and the constant panics with it, at the field.
//!
//! The constant is evaluated by a `const _` item for a struct without
//! generics (so `cargo check` reports it), and by `forward` and `predict`
//! through `katachi::__private::check_shapes::<Self>()` otherwise, at the
//! first point where a generic struct's extents are numbers. Either way
//! what rustc prints besides the message names only the struct
//! (`<Net as Checked>::SHAPES`, `check_shapes::<Cnn<16>>`), so every line
//! fits a terminal.

use proc_macro2::{Group, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::spanned::Spanned;

use crate::ast::Network;
use crate::expand::network_input;

/// Gives every token `span`. rustc reports an unsatisfied bound at the span
/// of the whole generic argument, and tokens interpolated from elsewhere
/// (the `::katachi` paths, earlier fields' types) would pull it back to the
/// derive attribute; respanning keeps the caret on the field.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
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
    let mut items = vec![respan(
        quote! {
            let x = ::core::marker::PhantomData::<#input>;
            let x0 = &x;
        },
        input_span,
    )];
    for (i, field) in net.layers.iter().enumerate() {
        let ty = field.ty;
        let name = field.ident.to_string();
        // What arrives, for the extents; and for the element type, the
        // network's (its input's), so that one layer of the other type is
        // one error, not one per neighbour. The first field of a network
        // without a declared input is what decides the input: nothing to check.
        let arrives = match i {
            0 if net.attrs.input.is_none() => None,
            0 => Some((
                "the network's input is".to_string(),
                "the network's input holds",
            )),
            _ => Some((
                format!("`{}` produces", net.layers[i - 1].ident),
                "the network computes in",
            )),
        };
        let field_name = format!("`{name}`");
        items.push(respan(
            quote! {
                if let ::core::option::Option::Some(message) = #private::window::<#ty, _>(&x, #field_name) {
                    ::core::panic!("{}", message.as_str());
                }
            },
            ty.span(),
        ));
        if let Some((source, elements)) = arrives {
            // Named for the field, so rustc's "the trait `relu_takes<f32>` is
            // not implemented for `f64`" reads as a sentence.
            let marker = format_ident!("{}_takes", field.ident);
            let probe = format_ident!("__katachi_elements_{}", i);
            let message = format!("`{name}` takes {{Expected}} but {elements} {{Self}}");
            let label = format!("`{name}` cannot take {{Self}}");
            let note = "every layer of a network computes in one element type, f32 or f64";
            items.push(respan(
                quote! {
                    #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
                    trait #marker<Expected: ?Sized> {}
                    impl<T: ?Sized> #marker<T> for T {}
                    const fn #probe<L, X, X0>(_: &::core::marker::PhantomData<X>, _: &::core::marker::PhantomData<X0>)
                    where
                        L: ::katachi::layer::Signature<X>,
                        X: ::katachi::layer::HasSample,
                        X0: ::katachi::layer::HasSample,
                        #private::Input<L, X>: ::katachi::layer::HasSample,
                        #private::Elem<X0>: #marker<#private::Elem<#private::Input<L, X>>>,
                    {
                    }
                    #probe::<#ty, _, _>(&x, x0);
                },
                ty.span(),
            ));
            let taker = format!("`{name}` takes ");
            let giver = format!(" but {source} ");
            items.push(respan(
                quote! {
                    if let ::core::option::Option::Some(message) = #private::mismatch::<#ty, _>(&x, #taker, #giver) {
                        ::core::panic!("{}", message.as_str());
                    }
                },
                ty.span(),
            ));
        }
        items.push(respan(
            quote!(let x = #private::next::<#ty, _>(x);),
            ty.span(),
        ));
    }
    items.push(quote!(let _ = (x, x0);));

    let ident = &net.original.ident;
    let (impl_generics, ty_generics, where_clause) = net.original.generics.split_for_impl();
    // A struct without generics is checked where it is defined, by `cargo
    // check`; a generic one when its `Layer` impl is instantiated (see
    // `expand::layer_impl`), the first point where its extents are numbers.
    let evaluate = net
        .is_concrete()
        .then(|| quote!(const _: () = <#ident as #private::Checked>::SHAPES;));
    quote! {
        #[automatically_derived]
        impl #impl_generics #private::Checked for #ident #ty_generics #where_clause {
            #[allow(non_camel_case_types)]
            const SHAPES: () = {
                #(#items)*
            };
        }
        #evaluate
    }
}
