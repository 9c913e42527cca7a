// swift-tools-version:6.0
// H5Train: data-parallel training of feed-forward networks on HDF5 datasets.
//
// Module layering (dependencies point downwards only):
//   CHDF5, CBLAS   system libraries (HDF5 C library, OpenBLAS CBLAS) + prefixed C shims
//   CDNNL          oneDNN shim, loaded at run time (the package builds and runs without it)
//   HDF5           safe, throwing HDF5 wrapper; knows nothing about machine learning
//   NeuralNet      matrices over BLAS, layers, activations, initialisers, losses, optimizers, schedules
//   DataParallel   worker pool, fixed micro-shards, deterministic gradient aggregation
//   Training       dataset loader, training loop, checkpoints, metrics, progress
//   H5TrainCLI     thin argument-parser commands, built as the `h5train` executable
import PackageDescription

let package = Package(
    name: "H5Train",
    products: [
        .executable(name: "h5train", targets: ["H5TrainCLI"]),
        .library(name: "H5TrainKit", targets: ["HDF5", "NeuralNet", "DataParallel", "Training"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"]), .brew(["hdf5"])]
        ),
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),
        .target(name: "HDF5", dependencies: ["CHDF5"]),
        .systemLibrary(name: "CDNNL"),  // no link: shim.h opens libdnnl with dlopen when present
        .target(name: "NeuralNet", dependencies: ["CBLAS", "CDNNL"]),
        .target(name: "DataParallel", dependencies: ["NeuralNet"]),
        .target(name: "Training", dependencies: ["HDF5", "NeuralNet", "DataParallel"]),
        .executableTarget(
            name: "H5TrainCLI",
            dependencies: [
                "Training",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5"]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "HDF5"], exclude: ["Fixtures"]),  // HDF5 reads the golden fixtures
        .testTarget(name: "DataParallelTests", dependencies: ["DataParallel"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "HDF5"]),
        .testTarget(name: "H5TrainCLITests", dependencies: ["H5TrainCLI", "HDF5", "Training"]),
    ]
)
