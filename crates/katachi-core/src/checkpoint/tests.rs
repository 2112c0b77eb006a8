//! Checkpoints: round trips, and every refusal of a bad file.

use std::fs::{self, File};

use safetensors::SafeTensors;
use safetensors::tensor::{Dtype, TensorView};

use super::*;
use crate::error::Error;
use crate::init::Init;
use crate::layer::{Affine, Relu};

fn temp(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "katachi-ckpt-{}-{name}.safetensors",
        std::process::id()
    ))
}

#[test]
fn save_then_load_restores_every_parameter_in_f64() {
    let mut a = (
        Affine::<4, 3, f64>::zeros(),
        Relu::new(),
        Affine::<3, 2, f64>::zeros(),
    );
    a.init(Init::Xavier, 5);
    let path = temp("roundtrip");
    save(&a, &path).unwrap();
    let mut b = (
        Affine::<4, 3, f64>::zeros(),
        Relu::new(),
        Affine::<3, 2, f64>::zeros(),
    );
    load(&mut b, &path).unwrap();
    assert_eq!(a.0.weight.value, b.0.weight.value);
    assert_eq!(a.2.bias.value, b.2.bias.value);
    // The file is plain safetensors, readable by anyone.
    let bytes = fs::read(&path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort();
    assert_eq!(names, ["0.bias", "0.weight", "2.bias", "2.weight"]);
    // In PyTorch's layout: `nn.Linear(4, 3).weight` is [3, 4].
    assert_eq!(st.tensor("0.weight").unwrap().shape(), &[3, 4]);
    fs::remove_file(&path).unwrap();
}

#[test]
fn mismatches_are_named_with_both_shapes_and_change_nothing() {
    let path = temp("mismatch");
    save(&Affine::<4, 3, f32>::zeros(), &path).unwrap();
    let mut wrong = Affine::<4, 5, f32>::zeros();
    wrong.init(Init::He, 1);
    let before = wrong.weight.value.clone();
    let err = load(&mut wrong, &path).unwrap_err().to_string();
    assert!(
        err.ends_with("tensor `weight` has shape [3, 4]; the network's has [5, 4]"),
        "{err}"
    );
    assert_eq!(wrong.weight.value, before);
    let err = load(&mut Affine::<4, 3, f64>::zeros(), &path)
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with("tensor `weight` is F32; the network's is F64"),
        "{err}"
    );
    let err = load(
        &mut (Affine::<4, 3, f32>::zeros(), Relu::<f32>::new()),
        &path,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.ends_with("has no tensor `0.weight` (the network's is [3, 4])"),
        "{err}"
    );
    fs::remove_file(&path).unwrap();
}

#[test]
fn a_failed_save_leaves_the_old_file_whole() {
    // A folder of its own: other tests save beside their files meanwhile.
    let dir = std::env::temp_dir().join(format!("katachi-ckpt-atomic-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("a.safetensors");
    let mut a = Affine::<2, 2, f32>::zeros();
    a.init(Init::He, 1);
    save(&a, &path).unwrap();
    let old = fs::read(&path).unwrap();
    // Saving into a folder that does not exist fails before touching anything.
    let elsewhere = path.with_file_name("no-such-dir").join("x.safetensors");
    assert!(matches!(
        save(&a, &elsewhere).unwrap_err(),
        Error::Io { .. }
    ));
    assert_eq!(fs::read(&path).unwrap(), old);
    // No temporary file is left beside the checkpoint.
    let stray = fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).any(|e| {
        let n = e.file_name().to_string_lossy().into_owned();
        n.starts_with(".katachi-ckpt") && n.ends_with(".tmp")
    });
    assert!(!stray);
    fs::remove_dir_all(&dir).unwrap();
}

/// A safetensors file holding exactly the tensors given, f32.
fn raw_file(path: &Path, tensors: &[(&str, Vec<usize>, Vec<f32>)]) {
    let bytes: Vec<Vec<u8>> = tensors.iter().map(|(_, _, v)| to_bytes(v)).collect();
    let views = tensors.iter().zip(&bytes).map(|((name, dims, _), b)| {
        (
            name.to_string(),
            TensorView::new(Dtype::F32, dims.clone(), b).unwrap(),
        )
    });
    fs::write(path, safetensors::serialize(views, None).unwrap()).unwrap();
}

#[test]
fn non_finite_parameters_are_never_saved_or_loaded() {
    let path = temp("nonfinite");
    let mut a = Affine::<2, 2, f32>::zeros();
    a.init(Init::He, 1);
    save(&a, &path).unwrap();
    let good = fs::read(&path).unwrap();
    a.weight.value.as_mut_slice()[3] = f32::INFINITY;
    let err = save(&a, &path).unwrap_err().to_string();
    assert!(
        err.starts_with("parameter `weight` holds inf at element 3; nothing was saved"),
        "{err}"
    );
    assert_eq!(fs::read(&path).unwrap(), good);

    raw_file(
        &path,
        &[
            ("weight", vec![2, 2], vec![0.0, f32::NAN, 1.0, 2.0]),
            ("bias", vec![2], vec![0.0; 2]),
        ],
    );
    let mut b = Affine::<2, 2, f32>::zeros();
    let err = load(&mut b, &path).unwrap_err().to_string();
    assert!(
        err.ends_with("tensor `weight` holds NaN at element 1"),
        "{err}"
    );
    assert_eq!(b.weight.value.as_slice(), &[0.0; 4]);
    fs::remove_file(&path).unwrap();
}

#[test]
fn a_tensor_name_given_twice_is_refused() {
    let path = temp("duplicate");
    let entry = r#"{"dtype":"F32","shape":[2],"data_offsets":[0,8]}"#;
    let header = format!(
        r#"{{"bias":{entry},"weight":{{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}},"bias":{entry}}}"#
    );
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&[0; 24]);
    fs::write(&path, &bytes).unwrap();
    let err = load(&mut Affine::<2, 2, f32>::zeros(), &path)
        .unwrap_err()
        .to_string();
    assert!(err.ends_with("has the tensor name `bias` twice"), "{err}");
    fs::remove_file(&path).unwrap();
}

#[test]
fn what_is_read_is_bounded_by_what_the_network_needs() {
    let path = temp("huge");
    // A sparse file of 3 GiB is refused from its size, without reading it.
    File::create(&path).unwrap().set_len(3 << 30).unwrap();
    let err = load(&mut Affine::<2, 2, f32>::zeros(), &path)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("is 3221225472 bytes, more than a checkpoint of this network can be"),
        "{err}"
    );
    fs::remove_file(&path).unwrap();

    let dir = temp("a-folder");
    fs::create_dir_all(&dir).unwrap();
    let err = load(&mut Affine::<2, 2, f32>::zeros(), &dir)
        .unwrap_err()
        .to_string();
    assert!(err.ends_with("is a folder, not a checkpoint"), "{err}");
    fs::remove_dir(&dir).unwrap();
    #[cfg(unix)]
    {
        let err = load(&mut Affine::<2, 2, f32>::zeros(), Path::new("/dev/zero")).unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }
}

#[test]
fn saves_at_once_to_one_path_each_write_a_whole_network() {
    let path = temp("concurrent");
    let nets: Vec<Affine<8, 8, f32>> = (0..8)
        .map(|seed| {
            let mut a = Affine::zeros();
            a.init(Init::He, seed);
            a
        })
        .collect();
    std::thread::scope(|s| {
        for net in &nets {
            s.spawn(|| {
                for _ in 0..5 {
                    save(net, &path).unwrap();
                }
            });
        }
    });
    let mut back = Affine::<8, 8, f32>::zeros();
    load(&mut back, &path).unwrap();
    assert!(
        nets.iter()
            .any(|n| n.weight.value == back.weight.value && n.bias.value == back.bias.value)
    );
    let dir = path.parent().unwrap();
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let left = fs::read_dir(dir).unwrap().flatten().filter(|e| {
        let n = e.file_name().to_string_lossy().into_owned();
        n.starts_with(&format!(".{name}")) && n.ends_with(".tmp")
    });
    assert_eq!(left.count(), 0);
    fs::remove_file(&path).unwrap();
}

#[test]
fn a_killed_saves_temporary_file_is_removed_by_the_next_save() {
    let path = temp("killed");
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    // A process that has exited: its pid names no live process.
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--list")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let stale = path.with_file_name(format!(".{name}.{dead}-0.tmp"));
    fs::write(&stale, b"half a checkpoint").unwrap();
    let ours = path.with_file_name(format!(".{name}.{}-999999.tmp", std::process::id()));
    fs::write(&ours, b"a save in flight").unwrap();
    save(&Affine::<2, 2, f32>::zeros(), &path).unwrap();
    assert_eq!(stale.exists(), !cfg!(target_os = "linux"));
    assert!(ours.exists(), "a live process's file is left alone");
    for p in [&path, &ours] {
        fs::remove_file(p).unwrap();
    }
    let _ = fs::remove_file(&stale);
}

#[test]
fn a_long_valid_file_name_saves() {
    let name = format!("{}.safetensors", "w".repeat(250 - ".safetensors".len()));
    let dir = temp("long-name");
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join(&name);
    assert_eq!(name.len(), 250);
    save(&Affine::<2, 2, f32>::zeros(), &path).unwrap();
    load(&mut Affine::<2, 2, f32>::zeros(), &path).unwrap();
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn batch_norm_is_written_with_pytorch_names_and_old_files_still_load() {
    use crate::layer::BatchNorm;
    let mut bn = BatchNorm::<3, f32>::new();
    bn.gamma.value = crate::tensor::Tensor::from([1.5, 0.5, 2.0]);
    bn.num_batches_tracked.value = crate::tensor::Tensor::from([7.0]);
    let path = temp("bn");
    save(&bn, &path).unwrap();
    let bytes = fs::read(&path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut names = st.names();
    names.sort();
    assert_eq!(
        names,
        [
            "bias",
            "num_batches_tracked",
            "running_mean",
            "running_var",
            "weight"
        ]
    );
    let count = st.tensor("num_batches_tracked").unwrap();
    assert_eq!((count.dtype(), count.shape()), (Dtype::I64, &[][..]));
    assert_eq!(count.data(), 7i64.to_le_bytes());
    let mut back = BatchNorm::<3, f32>::new();
    load(&mut back, &path).unwrap();
    assert_eq!(back.gamma.value, bn.gamma.value);
    assert_eq!(back.num_batches_tracked.value.as_slice(), &[7.0]);

    // A katachi-layout file from before: `gamma`, `beta`, no count.
    let old: [(&str, Vec<usize>, Vec<f32>); 4] = [
        ("gamma", vec![3], vec![2.0, 2.0, 2.0]),
        ("beta", vec![3], vec![0.5; 3]),
        ("running_mean", vec![3], vec![0.0; 3]),
        ("running_var", vec![3], vec![1.0; 3]),
    ];
    let bytes: Vec<Vec<u8>> = old.iter().map(|(_, _, v)| to_bytes(v)).collect();
    let views = old.iter().zip(&bytes).map(|((name, dims, _), b)| {
        (
            name.to_string(),
            TensorView::new(Dtype::F32, dims.clone(), b).unwrap(),
        )
    });
    let meta = HashMap::from([("format".to_string(), "katachi".to_string())]);
    fs::write(&path, safetensors::serialize(views, Some(meta)).unwrap()).unwrap();
    load(&mut back, &path).unwrap();
    assert_eq!(back.gamma.value.as_slice(), &[2.0; 3]);
    assert_eq!(back.beta.value.as_slice(), &[0.5; 3]);
    assert_eq!(back.num_batches_tracked.value.as_slice(), &[7.0]); // untouched
    fs::remove_file(&path).unwrap();
}

#[test]
fn a_square_affine_is_transposed_on_the_way_out_and_back() {
    let mut a = Affine::<2, 2, f32>::zeros();
    a.weight.value = crate::tensor::Tensor::from_rows(&[[1.0, 2.0], [3.0, 4.0]]).unwrap();
    let path = temp("square");
    save(&a, &path).unwrap();
    let bytes = fs::read(&path).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let mut w = [0.0f32; 4];
    from_bytes(st.tensor("weight").unwrap().data(), &mut w);
    assert_eq!(w, [1.0, 3.0, 2.0, 4.0]); // [out, in], as nn.Linear(2, 2)
    let mut b = Affine::<2, 2, f32>::zeros();
    load(&mut b, &path).unwrap();
    assert_eq!(b.weight.value, a.weight.value);
    fs::remove_file(&path).unwrap();
}
