//! The generated impls: `Layer` (forward in field order, backward in
//! reverse), `Signature`, `Parameters` (dotted names), `FixedInput` and
//! `Network`, all inside one anonymous `const _: () = { ... };`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident, parse_quote, parse_quote_spanned};

use crate::ast::Network;
use crate::flow::{chain_bounds, flow_idents, with_flow};
use crate::span::respan;
use crate::{check, fallback, params};

/// The whole expansion, or the errors plus stub impls.
pub(crate) fn derive(input: &DeriveInput) -> TokenStream {
    match Network::from_syn(input) {
        Ok(net) => expand(&net),
        Err(error) => fallback::expand(input, &error),
    }
}

fn expand(net: &Network<'_>) -> TokenStream {
    let layer = layer_impl(net);
    let params = params::parameters_impl(net);
    let signature = signature_impl(net);
    let fixed = fixed_input_impl(net);
    let network = network_impl(net);
    let checks = check::shape_checks(net);
    let export = crate::onnx::export_impl(net);
    quote! {
        #[allow(non_local_definitions, unused_qualifications)]
        const _: () = {
            #layer
            #signature
            #params
            #fixed
            #network
            #checks
            #export
        };
    }
}

/// `Layer` for exactly the network's input: `__KatachiX0` is pinned to it by
/// a `FixedInput<Input = __KatachiX0>` bound, so `net.backward(loss.backward())`
/// needs no annotation and a wrong input at a call site is a plain type
/// mismatch ("expected `784`, found `28`").
///
/// The values between fields are impl parameters pinned by each field's
/// `Signature<Xi, Output = Xi+1>` bound, and each field is called with
/// what arrives recast to what it takes (`Input<Fi, Xi>`, the same data when
/// the shapes fit). `Signature` is total, so the impl applies even where
/// two fields do not fit: that mistake is reported once, by the shape
/// checks, and code that uses the network adds no errors of its own. A
/// field that is not a layer makes the impl not apply, instead of adding
/// errors at the definition on top of the one the checks report.
fn layer_impl(net: &Network<'_>) -> TokenStream {
    let ident = &net.original.ident;
    let n = net.layers.len();
    let flow = flow_idents(n + 1);
    let layer = quote!(::katachi::layer::Layer);
    let signature = quote!(::katachi::check::Signature);
    let private = quote!(::katachi::__private);
    let mut generics = with_flow(&net.original.generics, &flow);
    let predicates = &mut generics.make_where_clause().predicates;
    let (input, output) = (&flow[0], &flow[n]);
    match &net.attrs.input {
        Some(ty) => predicates.push(parse_quote!(#input: #private::Is<#ty>)),
        None => {
            let first = net.layers[0].ty;
            predicates.push(parse_quote_spanned!(first.span()=> for<'__katachi> #first: ::katachi::check::FixedInput<Input = #input>));
        }
    }
    for (i, f) in net.layers.iter().enumerate() {
        let (ty, x, next) = (f.ty, &flow[i], &flow[i + 1]);
        predicates.push(parse_quote_spanned!(ty.span()=> #ty: #signature<#x, Output = #next>));
        predicates.push(
            parse_quote_spanned!(ty.span()=> #ty: #layer<#private::Input<#ty, #x>, Out = #next>),
        );
        predicates
            .push(parse_quote_spanned!(ty.span()=> #x: #private::Retype<#private::Input<#ty, #x>>));
        predicates
            .push(parse_quote_spanned!(ty.span()=> #private::Input<#ty, #x>: #private::Retype<#x>));
    }
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let (_, ty_generics, _) = net.original.generics.split_for_impl();

    let forward_call = |i: usize, method: &str, recv: TokenStream| {
        let f = &net.layers[i];
        let (ty, member, x) = (f.ty, f.ident, &flow[i]);
        let method = Ident::new(method, Span::call_site());
        quote_spanned!(ty.span()=> let x = <#ty as #layer<#private::Input<#ty, #x>>>::#method(#recv self.#member, #private::retype(x));)
    };
    let backward_call = |i: usize| {
        let f = &net.layers[i];
        let (ty, member, x) = (f.ty, f.ident, &flow[i]);
        quote_spanned!(ty.span()=> let dy: #x = #private::retype(<#ty as #layer<#private::Input<#ty, #x>>>::backward(&mut self.#member, dy));)
    };
    let forward = (0..n).map(|i| forward_call(i, "forward", quote!(&mut)));
    let predict = (0..n).map(|i| forward_call(i, "predict", quote!(&)));
    let backward = (0..n).rev().map(backward_call);
    // Parameters only: the later fields pass the gradient back as usual, the
    // first one skips the input gradient nobody asked for.
    let backward_rest = (1..n).rev().map(backward_call);
    let (first, first_x) = (&net.layers[0], &flow[0]);
    let (first_ty, first_member) = (first.ty, first.ident);
    let backward_first = quote_spanned! {first_ty.span()=>
        <#first_ty as #layer<#private::Input<#first_ty, #first_x>>>::backward_params(&mut self.#first_member, dy);
    };
    // A struct without generics is checked where it is defined; a generic
    // one here, where its extents are first numbers.
    let check = (!net.is_concrete()).then(|| quote!(#private::check_shapes::<Self>();));
    quote! {
        #[automatically_derived]
        impl #impl_generics #layer<#input> for #ident #ty_generics #where_clause {
            type Out = #output;

            fn forward(&mut self, x: #input) -> #output {
                #check
                #(#forward)*
                x
            }

            fn backward(&mut self, dy: #output) -> #input {
                #(#backward)*
                dy
            }

            fn backward_params(&mut self, dy: #output) {
                #(#backward_rest)*
                #backward_first
            }

            fn predict(&self, x: #input) -> #output {
                #check
                #(#predict)*
                x
            }
        }
    }
}

fn signature_impl(net: &Network<'_>) -> TokenStream {
    let ident = &net.original.ident;
    let flow = flow_idents(net.layers.len());
    let mut generics = with_flow(&net.original.generics, &flow);
    let signature = quote!(::katachi::check::Signature);
    generics.make_where_clause().predicates.extend(chain_bounds(
        &net.layers,
        &flow,
        signature.clone(),
        "Output",
    ));
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let (_, ty_generics, _) = net.original.generics.split_for_impl();
    let (first_ty, first_x) = (net.layers[0].ty, &flow[0]);
    let last = net.layers.len() - 1;
    let (last_ty, last_x) = (net.layers[last].ty, &flow[last]);
    quote! {
        #[automatically_derived]
        impl #impl_generics #signature<#first_x> for #ident #ty_generics #where_clause {
            type Input = <#first_ty as #signature<#first_x>>::Input;
            type Output = <#last_ty as #signature<#last_x>>::Output;
        }
    }
}

fn fixed_input_impl(net: &Network<'_>) -> TokenStream {
    let ident = &net.original.ident;
    let (_, ty_generics, _) = net.original.generics.split_for_impl();
    match &net.attrs.input {
        Some(ty) => {
            let (impl_generics, _, where_clause) = net.original.generics.split_for_impl();
            quote! {
                #[automatically_derived]
                impl #impl_generics ::katachi::check::FixedInput for #ident #ty_generics #where_clause {
                    type Input = #ty;
                }
            }
        }
        None => {
            // The first field's input as a projection: where that field
            // takes any shape, this is the same error, at the same field,
            // as the shape checks give, and rustc reports it once.
            let first = net.layers[0].ty;
            let (impl_generics, _, where_clause) = net.original.generics.split_for_impl();
            let input = respan(
                quote!(<#first as ::katachi::check::FixedInput>::Input),
                first.span(),
            );
            quote! {
                #[automatically_derived]
                impl #impl_generics ::katachi::check::FixedInput for #ident #ty_generics #where_clause {
                    type Input = #input;
                }
            }
        }
    }
}

fn network_impl(net: &Network<'_>) -> TokenStream {
    let ident = &net.original.ident;
    let (impl_generics, ty_generics, where_clause) = net.original.generics.split_for_impl();
    let names = net.layers.iter().map(|f| f.ident.to_string());
    quote! {
        #[automatically_derived]
        impl #impl_generics ::katachi::layer::Network for #ident #ty_generics #where_clause {
            const LAYERS: &'static [&'static str] = &[#(#names),*];
        }
    }
}
