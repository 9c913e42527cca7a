// swift-tools-version:6.0
// H5Train: data-parallel training of feed-forward networks on HDF5 datasets.
//
// Modules, in the order data flows through them (each depends only on modules above it):
//   CHDF5, CBLAS   system libraries (HDF5 C library, OpenBLAS CBLAS) + prefixed C shims
//   CDeflate       libdeflate, which inflates gzip-compressed HDF5 chunks faster than HDF5's zlib
//   CDNNL          oneDNN shim, loaded at run time (the package builds and runs without it)
//   CMPI           Open MPI shim, loaded at run time only under mpirun (the package builds without it)
//   ONNXProto, TensorBoardProto   Swift types generated from ONNX's and TensorBoard's .proto files
//                  (committed, so builds need no protoc; origin and licence in their READMEs)
//   HDF5           safe, throwing HDF5 wrapper; knows nothing about machine learning
//   RunLogs        TensorBoard event files (TFRecord + CRC-32C) and histograms; knows nothing about training
//   Settings       what a user can set, text that refers to those settings, the one user-facing error
//   NeuralNet      the network's forward and backward passes, activations, losses, initialisers,
//                  the product-kernel seam
//   Optimizers     optimizers and learning-rate schedules; their kinds as enums owning defaults and formulas
//   DataParallel   the step engine and its two phases, the worker pool, the forward-only predictor,
//                  stored feature rows converted and normalised as workers gather them, and the
//                  ranks of a run across processes (mpirun): who owns what, what a step exchanges
//   Data           loader, targets, normalisation, sample sets (features in their stored type),
//                  streamed rows (chunk-aligned blocks read ahead on one thread), fingerprint
//   Training       the loop, sampler, progress, metrics, diagnostics, LR finder, benchmark
//   Checkpoint     the HDF5 checkpoint format, atomic writes, inspect, prediction files, and the
//                  exports (ONNX, safetensors, Keras)
//   H5TrainCLI     thin commands; every flag spelling and its validation; reports (explain, plots)
import PackageDescription

let package = Package(
    name: "H5Train",
    products: [
        .executable(name: "h5train", targets: ["H5TrainCLI"]),
        .library(name: "H5TrainKit", targets: ["HDF5", "Settings", "NeuralNet", "Optimizers", "DataParallel", "Data",
                                                "Training", "Checkpoint", "RunLogs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
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
        .target(
            name: "ONNXProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["README.md", "proto"]
        ),
        .target(
            name: "TensorBoardProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["proto", "README.md"]
        ),
        .systemLibrary(
            name: "CDeflate",  // libdeflate: inflates gzip chunks faster than HDF5's zlib
            pkgConfig: "libdeflate",
            providers: [.apt(["libdeflate-dev"]), .brew(["libdeflate"])]
        ),
        .target(name: "HDF5", dependencies: ["CHDF5", "CDeflate"]),
        .target(name: "RunLogs", dependencies: ["TensorBoardProto"]),
        .target(name: "Settings"),
        .systemLibrary(name: "CDNNL"),  // no link: shim.h opens libdnnl with dlopen when present
        .systemLibrary(name: "CMPI"),  // no link: shim.h opens Open MPI's libmpi with dlopen under mpirun
        .target(name: "NeuralNet", dependencies: ["CBLAS", "CDNNL"]),
        .target(name: "Optimizers", dependencies: ["NeuralNet", "Settings"]),
        .target(name: "DataParallel", dependencies: ["NeuralNet", "Optimizers", "Settings", "CMPI"]),
        .target(name: "Data", dependencies: ["HDF5", "Settings", "NeuralNet", "DataParallel"]),
        .target(name: "Training", dependencies: ["Settings", "NeuralNet", "Optimizers", "DataParallel", "Data", "RunLogs"]),
        .target(name: "Checkpoint", dependencies: ["HDF5", "Settings", "NeuralNet", "Optimizers", "DataParallel", "Data", "Training",
                                                   "ONNXProto"]),
        .executableTarget(
            name: "H5TrainCLI",
            dependencies: [
                "Settings", "NeuralNet", "Optimizers", "DataParallel", "Data", "RunLogs", "Training", "Checkpoint",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "CHDF5"], exclude: ["Fixtures"]),  // compressed files written by h5py
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "Optimizers", "HDF5"], exclude: ["Fixtures"]),  // HDF5 reads the golden fixtures
        .testTarget(name: "DataParallelTests", dependencies: ["DataParallel", "Optimizers"]),
        .testTarget(name: "RunLogsTests", dependencies: ["RunLogs", "TensorBoardProto"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Checkpoint", "Data", "DataParallel", "NeuralNet", "Optimizers", "Settings",
                                                       "HDF5", "RunLogs"]),
        .testTarget(name: "CheckpointTests", dependencies: ["Checkpoint", "ONNXProto", "Training", "Data", "HDF5", "NeuralNet", "Settings"],
                    exclude: ["Fixtures"]),  // the golden Keras 3 layout
        .testTarget(name: "H5TrainCLITests", dependencies: ["H5TrainCLI", "HDF5", "Training", "Checkpoint", "ONNXProto", "RunLogs"]),
    ]
)
