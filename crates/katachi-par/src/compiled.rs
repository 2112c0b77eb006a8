//! Kernels compiled in this crate for `f32` and `f64`, whoever calls them.
//!
//! The public kernels are generic over [`Element`], and a generic function is
//! compiled where it is used with a concrete type: in the user's crate, at
//! the user's optimisation level. A debug build would then run the kernels
//! unoptimised, a hundred times slower. Instead each public kernel calls
//! through a table of function pointers that its module fills, in two
//! `static`s (one per element type) made by [`compiled_here!`]: statics are
//! compiled in the crate that defines them, so the bodies are instantiated
//! here, and a profile override for `katachi-par` alone
//! (`[profile.dev.package.katachi-par] opt-level = 3`) makes them fast in
//! any build.
//!
//! Each module keeps its own table, so no module here knows every kernel
//! and the element type knows none.

use std::any::Any;

use crate::element::{Element, ElementKind};

/// `of_f32` or `of_f64`, whichever `E` is, as the `T` it then is: the value
/// of a per-type `static` for a generic caller. (The choice is a constant
/// once `E` is known; the check behind it compares two type ids.)
pub(crate) fn for_element<E: Element, T: 'static>(
    of_f32: &'static dyn Any,
    of_f64: &'static dyn Any,
) -> &'static T {
    let chosen = match E::KIND {
        ElementKind::F32 => of_f32,
        ElementKind::F64 => of_f64,
    };
    chosen
        .downcast_ref::<T>()
        .expect("each table is built for f32 and f64")
}

/// A table of this module's kernel bodies, `Compiled::<E>::get()`, filled
/// in this crate for `f32` and `f64`: one field per kernel, spelled with
/// its signature in `E` and the generic body that fills it.
macro_rules! compiled_here {
    ($(#[$meta:meta])* $table:ident { $($field:ident: $ty:ty = $body:ident),* $(,)? }) => {
        $(#[$meta])*
        // Each field is a kernel's signature, spelled as the kernel spells it.
        #[allow(clippy::type_complexity)]
        struct $table<E: 'static> {
            $($field: $ty,)*
        }

        impl<E: $crate::element::Element> $table<E> {
            /// The bodies for `E`, instantiated in this crate.
            fn get() -> &'static Self {
                static F32: $table<f32> = $table { $($field: $body::<f32>,)* };
                static F64: $table<f64> = $table { $($field: $body::<f64>,)* };
                $crate::compiled::for_element::<E, Self>(&F32, &F64)
            }
        }
    };
}

pub(crate) use compiled_here;
