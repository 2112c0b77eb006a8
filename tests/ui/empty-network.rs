use katachi::prelude::*;

#[derive(Network)]
struct Net {}

fn main() {}
