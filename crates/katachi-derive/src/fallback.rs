//! When the input cannot be a network: the errors, plus stub impls so that
//! code using the type (`net.forward(x)`, `net.num_params()`) does not add a
//! second wave of errors about missing traits.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

pub(crate) fn expand(input: &DeriveInput, error: &syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    let ident = &input.ident;
    let mut generics = input.generics.clone();
    generics.params.push(syn::parse_quote!(__KatachiX));
    let (layer_generics, _, _) = generics.split_for_impl();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    quote! {
        #errors
        #[allow(non_local_definitions, unused_qualifications)]
        const _: () = {
            impl #layer_generics ::katachi::layer::Layer<__KatachiX> for #ident #ty_generics #where_clause {
                type Out = __KatachiX;
                fn forward(&mut self, _: __KatachiX) -> __KatachiX {
                    ::core::unreachable!("#[derive(Network)] failed")
                }
                fn backward(&mut self, _: __KatachiX) -> __KatachiX {
                    ::core::unreachable!("#[derive(Network)] failed")
                }
                fn predict(&self, _: __KatachiX) -> __KatachiX {
                    ::core::unreachable!("#[derive(Network)] failed")
                }
            }

            impl #impl_generics ::katachi::param::Parameters for #ident #ty_generics #where_clause {
                type Elem = f32;
                fn visit(
                    &self,
                    _: &::katachi::param::ParamPath<'_>,
                    _: &mut dyn ::core::ops::FnMut(&::katachi::param::ParamPath<'_>, ::katachi::param::ParamView<'_, f32>),
                ) {
                }
                fn visit_mut(
                    &mut self,
                    _: &::katachi::param::ParamPath<'_>,
                    _: &mut dyn ::core::ops::FnMut(&::katachi::param::ParamPath<'_>, ::katachi::param::ParamMut<'_, f32>),
                ) {
                }
            }
        };
    }
}
