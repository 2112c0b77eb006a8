use katachi::prelude::*;

// The derive rejects the tuple struct, but still emits stub impls, so the
// uses below add no second error.
#[derive(Network)]
struct Net(Affine<784, 10>);

fn main() {
    let mut net = Net(Affine::zeros());
    let _ = net.forward(Tensor::<Batch<784>>::zeros((1, Const)));
    let _ = net.num_params();
}
