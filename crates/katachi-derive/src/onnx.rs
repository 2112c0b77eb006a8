//! `Export<M>` for the network: its fields written in order into one ONNX
//! graph, each under its name, so nested networks flatten into it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::parse_quote_spanned;
use syn::spanned::Spanned;

use crate::ast::Network;
use crate::flow::with_flow;

/// `impl<…, M> Export<M> for Net where Field: Export<M>, …`: the impl
/// applies exactly when every field exports, so a network holding a layer
/// without an ONNX form still compiles, and exporting it is the error
/// (naming that layer).
pub(crate) fn export_impl(net: &Network<'_>) -> TokenStream {
    let ident = &net.original.ident;
    let export = quote!(::katachi::onnx::Export);
    let marker = format_ident!("__KatachiOnnx");
    let mut generics = with_flow(&net.original.generics, std::slice::from_ref(&marker));
    let predicates = &mut generics.make_where_clause().predicates;
    for f in &net.layers {
        let ty = f.ty;
        predicates.push(parse_quote_spanned!(ty.span()=> #ty: #export<#marker>));
    }
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let (_, ty_generics, _) = net.original.generics.split_for_impl();
    let steps = net.layers.iter().map(|f| {
        let (ty, member) = (f.ty, f.ident);
        let name = member.to_string();
        quote_spanned!(ty.span()=> let x = <#ty as #export<#marker>>::export(&self.#member, graph, &path.child(#name), x);)
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #export<#marker> for #ident #ty_generics #where_clause {
            fn export(
                &self,
                graph: &mut ::katachi::onnx::Graph,
                path: &::katachi::param::ParamPath<'_>,
                input: ::std::string::String,
            ) -> ::std::string::String {
                let x = input;
                #(#steps)*
                x
            }
        }
    }
}
