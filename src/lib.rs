//! katachi
