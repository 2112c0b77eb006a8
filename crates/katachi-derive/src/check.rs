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

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;

use crate::ast::{LayerField, Network};
use crate::span::respan;

/// Where the checks' helpers live.
struct Private;

impl quote::ToTokens for Private {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        tokens.extend(quote!(::katachi::__private));
    }
}

const PRIVATE: Private = Private;

/// The checks of every field, in order, as the initialiser of
/// `<Net as Checked>::SHAPES`.
pub(crate) fn shape_checks(net: &Network<'_>) -> TokenStream {
    let mut items = vec![start(net)];
    for (i, field) in net.layers.iter().enumerate() {
        items.push(window_check(field));
        if let Some(arrives) = Arrives::at(net, i) {
            items.push(element_check(field, i, &arrives));
            items.push(extent_check(field, &arrives));
        }
        items.push(advance(field));
    }
    items.push(quote!(let _ = (x, x0);));
    checked_impl(net, &items)
}

/// What reaches a field, in the words of its messages.
struct Arrives {
    /// Who gives what arrives: "`relu1` produces", "the network's input is".
    source: String,
    /// What holds the element type the field is compared with.
    elements: &'static str,
}

impl Arrives {
    /// What reaches field `i`; for the extents what the previous field
    /// gives, for the element type the network's (its input's), so that
    /// one layer of the other type is one error, not one per neighbour.
    /// `None` for the first field of a network without a declared input:
    /// it decides the input, so there is nothing to compare.
    fn at(net: &Network<'_>, i: usize) -> Option<Self> {
        match i {
            0 if net.attrs.input.is_none() => None,
            0 => Some(Self {
                source: "the network's input is".to_string(),
                elements: "the network's input holds",
            }),
            _ => Some(Self {
                source: format!("`{}` produces", net.layers[i - 1].ident),
                elements: "the network computes in",
            }),
        }
    }
}

/// `x` starts as the network's input (`x0` keeps it, for the element type).
fn start(net: &Network<'_>) -> TokenStream {
    let input = net.input();
    let span = net
        .attrs
        .input
        .as_ref()
        .map_or_else(|| net.layers[0].ty.span(), Spanned::span);
    respan(
        quote! {
            let x = ::core::marker::PhantomData::<#input>;
            let x0 = &x;
        },
        span,
    )
}

/// A window (convolution, pooling) larger than what arrives.
fn window_check(field: &LayerField<'_>) -> TokenStream {
    let ty = field.ty;
    let name = format!("`{}`", field.ident);
    respan(
        quote! {
            if let ::core::option::Option::Some(message) = #PRIVATE::window::<#ty, _>(&x, #name) {
                ::core::panic!("{}", message.as_str());
            }
        },
        ty.span(),
    )
}

/// The element type, at the type level: a marker trait named for the
/// field, so rustc's "the trait `relu_takes<f32>` is not implemented for
/// `f64`" reads as a sentence, with a message of its own.
fn element_check(field: &LayerField<'_>, i: usize, arrives: &Arrives) -> TokenStream {
    let ty = field.ty;
    let name = field.ident.to_string();
    let marker = format_ident!("{}_takes", field.ident);
    let probe = format_ident!("__katachi_elements_{}", i);
    let message = format!(
        "`{name}` takes {{Expected}} but {} {{Self}}",
        arrives.elements
    );
    let label = format!("`{name}` cannot take {{Self}}");
    let note = "every layer of a network computes in one element type, f32 or f64";
    respan(
        quote! {
            #[diagnostic::on_unimplemented(message = #message, label = #label, note = #note)]
            trait #marker<Expected: ?Sized> {}
            impl<T: ?Sized> #marker<T> for T {}
            const fn #probe<L, X, X0>(_: &::core::marker::PhantomData<X>, _: &::core::marker::PhantomData<X0>)
            where
                L: ::katachi::check::Signature<X>,
                X: ::katachi::check::HasSample,
                X0: ::katachi::check::HasSample,
                #PRIVATE::Input<L, X>: ::katachi::check::HasSample,
                #PRIVATE::Elem<X0>: #marker<#PRIVATE::Elem<#PRIVATE::Input<L, X>>>,
            {
            }
            #probe::<#ty, _, _>(&x, x0);
        },
        ty.span(),
    )
}

/// The extents, by value: what the field would take against what arrives.
fn extent_check(field: &LayerField<'_>, arrives: &Arrives) -> TokenStream {
    let ty = field.ty;
    let taker = format!("`{}` takes ", field.ident);
    let giver = format!(" but {} ", arrives.source);
    respan(
        quote! {
            if let ::core::option::Option::Some(message) = #PRIVATE::mismatch::<#ty, _>(&x, #taker, #giver) {
                ::core::panic!("{}", message.as_str());
            }
        },
        ty.span(),
    )
}

/// `x` becomes what the field gives.
fn advance(field: &LayerField<'_>) -> TokenStream {
    let ty = field.ty;
    respan(quote!(let x = #PRIVATE::next::<#ty, _>(x);), ty.span())
}

/// The `Checked` impl holding the checks, and for a struct without
/// generics the `const _` that evaluates them where it is defined (`cargo
/// check` reports it); a generic one is checked when its `Layer` impl is
/// instantiated (see `expand::layer_impl`), the first point where its
/// extents are numbers.
fn checked_impl(net: &Network<'_>, items: &[TokenStream]) -> TokenStream {
    let ident = &net.original.ident;
    let (impl_generics, ty_generics, where_clause) = net.original.generics.split_for_impl();
    let evaluate = net
        .is_concrete()
        .then(|| quote!(const _: () = <#ident as #PRIVATE::Checked>::SHAPES;));
    quote! {
        #[automatically_derived]
        impl #impl_generics #PRIVATE::Checked for #ident #ty_generics #where_clause {
            #[allow(non_camel_case_types)]
            const SHAPES: () = {
                #(#items)*
            };
        }
        #evaluate
    }
}
