//! The generated `Parameters` impl: every field's parameters under its
//! name, in declaration order.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, WherePredicate, parse_quote, parse_quote_spanned};

use crate::ast::Network;
use crate::flow::with_flow;
use crate::span::respan;

/// `Parameters` for the struct: through stubs for a struct without
/// generics, through bounds for a generic one.
pub(crate) fn parameters_impl(net: &Network<'_>) -> TokenStream {
    if net.is_concrete() {
        concrete_parameters_impl(net)
    } else {
        generic_parameters_impl(net)
    }
}

/// `Parameters` for a struct without generics: the element type is the
/// input's, and each field is visited through `__private::ParamsOf`, a stub
/// where the field's element type differs (a mismatch the shape checks
/// report, once) so that code using the network adds no errors.
fn concrete_parameters_impl(net: &Network<'_>) -> TokenStream {
    let ident = &net.original.ident;
    let params = quote!(::katachi::param::Parameters);
    let private = quote!(::katachi::__private);
    let input = respan(net.input(), net.layers[0].ty.span());
    let visits = |method: &str, wrap: &str, recv: TokenStream| -> Vec<TokenStream> {
        let method = Ident::new(method, Span::call_site());
        let wrap = Ident::new(wrap, Span::call_site());
        net.layers
            .iter()
            .map(|f| {
                let (ty, member) = (f.ty, f.ident);
                let name = member.to_string();
                quote_spanned!(ty.span()=> (&#private::#wrap::<#ty, Self::Elem>::new(#recv self.#member)).#method(&path.child(#name), f);)
            })
            .collect()
    };
    let visit = visits("visit", "ParamsOf", quote!(&));
    let visit_mut = visits("visit_mut", "ParamsOfMut", quote!(&mut));
    let visit_rngs = visits("visit_rngs", "ParamsOfMut", quote!(&mut));
    let set_mode = net.layers.iter().map(|f| {
        let (ty, member) = (f.ty, f.ident);
        quote_spanned!(ty.span()=> (&#private::ParamsOfMut::<#ty, Self::Elem>::new(&mut self.#member)).set_mode(mode);)
    });
    let uses = quote!(use #private::calls::*;);
    quote! {
        #[automatically_derived]
        impl #params for #ident {
            type Elem = #private::Elem<#input>;

            fn visit(
                &self,
                path: &::katachi::param::ParamPath<'_>,
                f: &mut dyn ::core::ops::FnMut(&::katachi::param::ParamPath<'_>, ::katachi::param::ParamView<'_, Self::Elem>),
            ) {
                #uses
                #(#visit)*
            }

            fn visit_mut(
                &mut self,
                path: &::katachi::param::ParamPath<'_>,
                f: &mut dyn ::core::ops::FnMut(&::katachi::param::ParamPath<'_>, ::katachi::param::ParamMut<'_, Self::Elem>),
            ) {
                #uses
                #(#visit_mut)*
            }

            fn set_mode(&mut self, mode: ::katachi::param::Mode) {
                #uses
                #(#set_mode)*
            }

            fn visit_rngs(
                &mut self,
                path: &::katachi::param::ParamPath<'_>,
                f: &mut dyn ::core::ops::FnMut(&::katachi::param::ParamPath<'_>, &mut ::katachi::init::LayerRng),
            ) {
                #uses
                #(#visit_rngs)*
            }
        }
    }
}

/// Bounds that must hold for an impl, written `for<'__k> T: Trait` so that a
/// field that is not a layer is reported once, by the shape checks, at the
/// field; a plain bound on a concrete type would be a second error here.
fn deferred(ty: &syn::Type, bound: TokenStream) -> WherePredicate {
    parse_quote_spanned!(ty.span()=> for<'__katachi> #ty: #bound)
}

fn generic_parameters_impl(net: &Network<'_>) -> TokenStream {
    let ident = &net.original.ident;
    let params = quote!(::katachi::param::Parameters);
    // The element type is an impl parameter pinned by every field's bound,
    // not the projection `<First as Parameters>::Elem`: with the projection,
    // a later field of the first field's type (`a: Affine<4, 4>, …, b:
    // Affine<4, 4>`) makes a where-clause that normalises to itself, and
    // rustc overflows (E0275).
    let elem = format_ident!("__KatachiElem");
    let mut generics = with_flow(&net.original.generics, std::slice::from_ref(&elem));
    let predicates = &mut generics.make_where_clause().predicates;
    predicates.push(parse_quote!(#elem: ::katachi::Element));
    for f in &net.layers {
        predicates.push(deferred(f.ty, quote!(#params<Elem = #elem>)));
    }
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let (_, ty_generics, _) = net.original.generics.split_for_impl();
    let visits = |method: &str, recv: TokenStream| -> Vec<TokenStream> {
        let method = Ident::new(method, Span::call_site());
        net.layers
            .iter()
            .map(|f| {
                let (ty, member) = (f.ty, f.ident);
                let name = member.to_string();
                quote_spanned!(ty.span()=> <#ty as #params>::#method(#recv self.#member, &path.child(#name), f);)
            })
            .collect()
    };
    let visit = visits("visit", quote!(&));
    let visit_mut = visits("visit_mut", quote!(&mut));
    let set_mode = net.layers.iter().map(|f| {
        let (ty, member) = (f.ty, f.ident);
        quote_spanned!(ty.span()=> <#ty as #params>::set_mode(&mut self.#member, mode);)
    });
    let visit_rngs = visits("visit_rngs", quote!(&mut));
    quote! {
        #[automatically_derived]
        impl #impl_generics #params for #ident #ty_generics #where_clause {
            type Elem = #elem;

            fn visit(
                &self,
                path: &::katachi::param::ParamPath<'_>,
                f: &mut dyn ::core::ops::FnMut(&::katachi::param::ParamPath<'_>, ::katachi::param::ParamView<'_, Self::Elem>),
            ) {
                #(#visit)*
            }

            fn visit_mut(
                &mut self,
                path: &::katachi::param::ParamPath<'_>,
                f: &mut dyn ::core::ops::FnMut(&::katachi::param::ParamPath<'_>, ::katachi::param::ParamMut<'_, Self::Elem>),
            ) {
                #(#visit_mut)*
            }

            fn set_mode(&mut self, mode: ::katachi::param::Mode) {
                #(#set_mode)*
            }

            fn visit_rngs(
                &mut self,
                path: &::katachi::param::ParamPath<'_>,
                f: &mut dyn ::core::ops::FnMut(&::katachi::param::ParamPath<'_>, &mut ::katachi::init::LayerRng),
            ) {
                #(#visit_rngs)*
            }
        }
    }
}
