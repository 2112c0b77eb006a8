//! Implementation detail of the `katachi` crate: `#[derive(Network)]`.
//!
//! Use it through `katachi::Network`, whose documentation shows what it
//! generates and the errors it gives. The phases, one file each:
//! [`attr`] reads `#[network(...)]`, [`ast`] lifts the struct into a small
//! model and rejects what cannot be a network, [`expand`] writes the impls,
//! [`check`] writes the neighbour-by-neighbour shape checks, and
//! [`fallback`] writes stub impls when the input is rejected, so the user
//! sees one error instead of a cascade.

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod fallback;

use proc_macro::TokenStream;

/// Derives `Layer`, `Signature`, `Parameters`, `FixedInput` and `Network`
/// for a struct whose named fields are layers. Documented on `katachi::Network`.
#[proc_macro_derive(Network, attributes(network))]
pub fn derive_network(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input).into()
}
