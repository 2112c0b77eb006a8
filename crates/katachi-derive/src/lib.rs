//! Implementation detail of the `katachi` crate: `#[derive(Network)]`.
//!
//! Use it through `katachi::Network`.

use proc_macro::TokenStream;

/// Derives the layer trait and parameter visiting for a struct of layers.
#[proc_macro_derive(Network, attributes(network))]
pub fn derive_network(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    syn::Error::new_spanned(&input.ident, "#[derive(Network)] is not available yet")
        .to_compile_error()
        .into()
}
