//! Elements as the little-endian bytes a safetensors file stores, and the
//! type tag that says which.

use katachi_par::{Element, ElementKind};
use safetensors::tensor::Dtype;

pub(crate) fn dtype<E: Element>() -> Dtype {
    match E::KIND {
        ElementKind::F32 => Dtype::F32,
        ElementKind::F64 => Dtype::F64,
    }
}

pub(crate) fn to_bytes<E: Element>(values: &[E]) -> Vec<u8> {
    let mut out = Vec::with_capacity(size_of_val(values));
    for &v in values {
        match dtype::<E>() {
            Dtype::F32 => out.extend_from_slice(&(v.to_f64() as f32).to_le_bytes()),
            _ => out.extend_from_slice(&v.to_f64().to_le_bytes()),
        }
    }
    out
}

pub(crate) fn from_bytes<E: Element>(bytes: &[u8], out: &mut [E]) {
    match dtype::<E>() {
        Dtype::F32 => {
            for (o, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                *o = E::from_f64(f64::from(f32::from_le_bytes(
                    b.try_into().expect("4 bytes"),
                )));
            }
        }
        _ => {
            for (o, b) in out.iter_mut().zip(bytes.chunks_exact(8)) {
                *o = E::from_f64(f64::from_le_bytes(b.try_into().expect("8 bytes")));
            }
        }
    }
}
