//! Every public kernel, compiled in this crate for `f32` and `f64`.
//!
//! The public kernels are generic over [`Element`], and a generic function is
//! compiled where it is used with a concrete type: in the user's crate, at
//! the user's optimisation level. A debug build would then run the kernels
//! unoptimised, a hundred times slower. Instead each public kernel calls
//! through this table of function pointers, which `f32` and `f64` fill in
//! here (see `Element`'s sealed `kernels`): the bodies are instantiated in
//! this crate, and a profile override for `katachi-par` alone
//! (`[profile.dev.package.katachi-par] opt-level = 3`) makes them fast in
//! any build.

use crate::affine::{AffineDims, AffineGrads};
use crate::batch_norm::{BatchNormGrads, Normalisation};
use crate::conv::ConvDims;
use crate::elementwise::{Activation, Update};
use crate::pool::PoolDims;
use crate::softmax_xent::Targets;
use crate::{Accum, Element, MatMut, MatRef, Par};

/// The table: one entry per public kernel. (Public in a private module, as
/// the sealed trait that returns it; nothing outside can name it.)
// Each field is a kernel's signature, spelled as the kernel spells it.
#[allow(clippy::type_complexity)]
pub struct Kernels<E: 'static> {
    pub(crate) gemm: fn(MatMut<'_, E>, Accum, MatRef<'_, E>, MatRef<'_, E>, Par),
    pub(crate) affine_forward: fn(&[E], &[E], &[E], &mut [E], AffineDims, Par),
    pub(crate) affine_backward: fn(&[E], &[E], &[E], AffineGrads<'_, E>, AffineDims, Par),
    pub(crate) affine_param_grads: fn(&[E], &[E], &mut [E], &mut [E], AffineDims, Par),
    pub(crate) affine_input_grad: fn(&[E], &[E], &mut [E], AffineDims, Par),
    pub(crate) column_sums: fn(&[E], &mut [E], usize),
    pub(crate) add_bias: fn(&mut [E], &[E], Par),
    pub(crate) im2col: fn(&[E], &mut [E], &ConvDims),
    pub(crate) col2im: fn(&[E], &mut [E], &ConvDims),
    pub(crate) conv_forward: fn(&[E], &[E], &[E], &mut [E], &ConvDims, Par),
    pub(crate) conv_param_grads: fn(&[E], &[E], &mut [E], &mut [E], &ConvDims, Par),
    pub(crate) conv_input_grad: fn(&[E], &[E], &mut [E], &ConvDims, Par),
    pub(crate) max_forward: fn(&[E], &mut [E], &mut [u32], &PoolDims, Par),
    pub(crate) max_backward: fn(&[E], &[u32], &mut [E], &PoolDims, Par),
    pub(crate) softmax_rows: fn(&[E], &mut [E], usize, Par),
    pub(crate) xent_forward: fn(&[E], Targets<'_, E>, &mut [E], usize, Par) -> E,
    pub(crate) xent_backward: fn(&[E], Targets<'_, E>, &mut [E], usize),
    pub(crate) first_non_finite: fn(&[E]) -> Option<(usize, E)>,
    pub(crate) activate: fn(Activation, &mut [E], Option<&mut [E]>, Par),
    pub(crate) activation_grad: fn(Activation, &mut [E], &[E], Par),
    pub(crate) multiply: fn(&mut [E], &[E], Par),
    pub(crate) update: fn(&mut [E], &mut [E], Option<E>, Update<'_, E>),
    pub(crate) batch_norm_statistics: fn(&[E], usize, &mut [E], &mut [E]),
    pub(crate) batch_norm_normalise: fn(&mut [E], Normalisation<'_, E>, Option<&mut [E]>),
    pub(crate) batch_norm_backward: fn(&mut [E], BatchNormGrads<'_, E>),
}

impl<E: Element> Kernels<E> {
    /// The bodies for `E`; a `static` of this in a non-generic impl
    /// instantiates them here.
    pub(crate) const ALL: Self = Self {
        gemm: crate::gemm::gemm_impl::<E>,
        affine_forward: crate::affine::forward_impl::<E>,
        affine_backward: crate::affine::backward_impl::<E>,
        affine_param_grads: crate::affine::param_grads_impl::<E>,
        affine_input_grad: crate::affine::input_grad_impl::<E>,
        column_sums: crate::affine::column_sums_impl::<E>,
        add_bias: crate::affine::add_bias_impl::<E>,
        im2col: crate::conv::im2col_impl::<E>,
        col2im: crate::conv::col2im_impl::<E>,
        conv_forward: crate::conv::forward_impl::<E>,
        conv_param_grads: crate::conv::param_grads_impl::<E>,
        conv_input_grad: crate::conv::input_grad_impl::<E>,
        max_forward: crate::pool::max_forward_impl::<E>,
        max_backward: crate::pool::max_backward_impl::<E>,
        softmax_rows: crate::softmax_xent::softmax_rows_impl::<E>,
        xent_forward: crate::softmax_xent::forward_impl::<E>,
        xent_backward: crate::softmax_xent::backward_impl::<E>,
        first_non_finite: crate::finite::first_non_finite_impl::<E>,
        activate: crate::elementwise::activate_impl::<E>,
        activation_grad: crate::elementwise::activation_grad_impl::<E>,
        multiply: crate::elementwise::multiply_impl::<E>,
        update: crate::elementwise::update_impl::<E>,
        batch_norm_statistics: crate::batch_norm::statistics_impl::<E>,
        batch_norm_normalise: crate::batch_norm::normalise_impl::<E>,
        batch_norm_backward: crate::batch_norm::backward_impl::<E>,
    };
}
