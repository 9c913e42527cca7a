import Checkpoint
import DataParallel
import HDF5
import Optimizers
import Training
import XCTest

/// `--help` of the tool and of each subcommand: exit 0, every flag listed, defaults shown.
final class HelpTests: XCTestCase {
    func testTopLevelHelpListsSubcommands() throws {
        let result = try CLI.run(["--help"])
        XCTAssertSuccess(result)
        let text = collapsingWhitespace(result.stdout)
        XCTAssertTrue(text.contains("USAGE: h5train <subcommand>"), result.description)
        for subcommand in ["train", "evaluate"] {
            XCTAssertTrue(result.stdout.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix(subcommand + " ") },
                          "subcommand \(subcommand) not listed: \(result)")
        }
        XCTAssertTrue(text.contains("Train a network on an HDF5 dataset."), result.description)
        XCTAssertTrue(text.contains("Measure a trained checkpoint on an HDF5 dataset."), result.description)
    }

    func testHelpSubcommandMatchesDashDashHelp() throws {
        let viaFlag = try CLI.run(["train", "--help"])
        let viaHelp = try CLI.run(["help", "train"])
        XCTAssertSuccess(viaFlag)
        XCTAssertSuccess(viaHelp)
        XCTAssertEqual(viaFlag.stdout, viaHelp.stdout)
    }

    func testTrainHelpListsEveryFlagAndDefault() throws {
        let result = try CLI.run(["train", "--help"])
        XCTAssertSuccess(result)
        let text = collapsingWhitespace(result.stdout)
        XCTAssertTrue(text.contains("USAGE: h5train train <options>"), result.description)

        let flags = ["--data", "--x", "--y", "--val-data", "--val-x", "--val-y", "--val-split", "--task", "--normalize", "--memory-budget",
                     "--hidden", "--activation", "--init", "--loss", "--label-smoothing", "--class-weights", "--epochs", "--batch-size", "--optimizer", "--lr",
                     "--momentum", "--nesterov", "--weight-decay", "--lr-step", "--lr-gamma",
                     "--gamma", "--milestones", "--power", "--start-factor", "--end-factor", "--total-epochs", "--eta-min",
                     "--t-max", "--t0", "--t-mult", "--base-lr", "--step-size-up", "--step-size-down", "--mode",
                     "--cycle-momentum/--no-cycle-momentum", "--base-momentum", "--max-momentum", "--pct-start", "--anneal",
                     "--div-factor", "--final-div-factor", "--three-phase", "--factor", "--patience", "--threshold",
                     "--cooldown", "--min-lr", "--warmup-steps", "--warmup-epochs", "--warmup-start-factor", "--scale-lr-by-batch",
                     "--dampening", "--beta1", "--beta2", "--eps", "--alpha", "--centered", "--rho", "--lr-decay",
                     "--momentum-decay", "--schedule", "--clip-norm", "--clip-value", "--on-nonfinite", "--diagnostics",
                     "--early-stop", "--dropout", "--initial-accumulator", "--decoupled-weight-decay", "--resume", "--override", "--checkpoint-every-steps", "--save-best", "--keep-last", "--seed", "--workers",
                     "--shard-size", "--checkpoint", "--checkpoint-every", "--metrics", "--tensorboard", "--plot", "--quiet", "--kernels", "--isa", "--help"]
        let listed = Set(optionNames(result.stdout))
        for flag in flags {
            XCTAssertTrue(listed.contains(flag), "train --help does not list \(flag); it lists \(listed.sorted())")
        }
        XCTAssertEqual(listed.subtracting(flags), [], "train --help lists flags this test does not know; add them above")

        // Defaults, as the help text of each flag shows them (whitespace-insensitive). The numeric
        // ones must be the library's own defaults (TrainingConfiguration documents that they match).
        let library = TrainingConfiguration()
        let defaults: [(flag: String, value: String)] = [
            ("--x", "x_train"), ("--y", "y_train"), ("--normalize", "auto"),
            ("--hidden", library.hidden.map(String.init).joined(separator: ",")),
            ("--activation", "\(library.activation)"), ("--epochs", "\(library.epochs)"),
            ("--batch-size", "\(library.batchSize)"), ("--optimizer", "sgd"),
            ("--schedule", library.schedule.kind.rawValue), ("--pct-start", "\(library.schedule.pctStart)"),
            ("--div-factor", "\(library.schedule.divFactor)"), ("--patience", "\(library.schedule.patience)"),
            ("--beta1", "\(library.optimizer.beta1)"), ("--beta2", "\(library.optimizer.beta2)"),
            ("--seed", "\(library.seed)"),
        ]
        // The documented defaults at the time of writing, so an accidental change shows up here too.
        XCTAssertEqual(library.hidden, [128])
        XCTAssertEqual(library.epochs, 10)
        XCTAssertEqual(library.batchSize, 128)
        XCTAssertEqual(library.resolvedLearningRate, 0.05)
        XCTAssertEqual(library.optimizer.resolvedMomentum, 0.9)
        let sections = helpSections(result.stdout)
        for (flag, value) in defaults {
            guard let section = sections[flag] else { XCTFail("no help entry for \(flag)"); continue }
            XCTAssertTrue(section.contains("(default: \(value))"), "\(flag) should show (default: \(value)); its entry: \(section)")
        }
        // Defaults described in words.
        XCTAssertTrue(sections["--lr"]?.contains("Default: 0.05 for sgd") ?? false, sections["--lr"] ?? "no --lr")
        XCTAssertTrue(sections["--momentum"]?.contains("default 0.9") ?? false, sections["--momentum"] ?? "no --momentum")
        XCTAssertTrue(sections["--workers"]?.contains("number of active cores") ?? false, sections["--workers"] ?? "no --workers")
        XCTAssertTrue(sections["--shard-size"]?.contains("default: a quarter of the batch, 64 to 256") ?? false,
                      sections["--shard-size"] ?? "no --shard-size")
        XCTAssertEqual(TrainingConfiguration.defaultShardSize(batchSize: library.batchSize), library.shardSize)
        XCTAssertTrue(sections["--val-data"]?.contains("default: the --data file") ?? false, sections["--val-data"] ?? "no --val-data")
        XCTAssertTrue(sections["--init"]?.contains("he_normal for ReLU layers") ?? false, sections["--init"] ?? "no --init")
        // The cross-entropy options teach their formula and their PyTorch equivalent.
        for (flag, parts) in [("--label-smoothing", ["q = (1 − ε)·onehot(t) + ε/K", "label_smoothing=ε", "(default: 0.0)"]),
                              ("--class-weights", ["Σ w_t·ℓ / Σ w_t", "weight=w", "reduction='mean'"]),
                              ("--loss", ["smooth_l1[:beta]", "Huber(β)/β"])] {
            for part in parts {
                XCTAssertTrue(sections[flag]?.contains(part) ?? false, "\(flag) should mention \(part): \(sections[flag] ?? "no entry")")
            }
        }
        XCTAssertTrue(sections["--loss"]?.contains("cross_entropy (classification default)") ?? false, sections["--loss"] ?? "no --loss")
        XCTAssertTrue(sections["--lr-step"]?.contains("given alone it selects the step schedule") ?? false, sections["--lr-step"] ?? "no --lr-step")
        XCTAssertTrue(sections["--lr-gamma"]?.contains("Alias of --gamma") ?? false, sections["--lr-gamma"] ?? "no --lr-gamma")
        XCTAssertTrue(sections["--gamma"]?.contains("step and multistep, the factor of each decay (default 0.1)") ?? false, sections["--gamma"] ?? "no --gamma")
        // Flags without a default must not pretend to have one.
        for flag in ["--data", "--val-split", "--task", "--checkpoint", "--checkpoint-every", "--metrics", "--nesterov", "--quiet"] {
            XCTAssertFalse(sections[flag]?.contains("(default:") ?? true, "\(flag) shows a default: \(sections[flag] ?? "")")
        }
    }

    func testEvaluateHelpListsEveryFlagAndDefault() throws {
        let result = try CLI.run(["evaluate", "--help"])
        XCTAssertSuccess(result)
        let text = collapsingWhitespace(result.stdout)
        XCTAssertTrue(text.contains("USAGE: h5train evaluate --checkpoint <path> --data <file>"), result.description)
        let flags = ["--checkpoint", "--data", "--x", "--y", "--workers", "--kernels", "--isa", "--help"]
        let listed = Set(optionNames(result.stdout))
        XCTAssertEqual(listed, Set(flags), "evaluate --help: \(result.stdout)")
        let sections = helpSections(result.stdout)
        XCTAssertTrue(sections["--x"]?.contains("(default: x_test)") ?? false, sections["--x"] ?? "no --x")
        XCTAssertTrue(sections["--y"]?.contains("(default: y_test)") ?? false, sections["--y"] ?? "no --y")
        XCTAssertTrue(sections["--workers"]?.contains("number of active cores") ?? false, sections["--workers"] ?? "no --workers")
        XCTAssertFalse(sections["--checkpoint"]?.contains("(default:") ?? true)
        XCTAssertFalse(sections["--data"]?.contains("(default:") ?? true)
    }

    func testSubcommandIsRequired() throws {
        let result = try CLI.run([])
        XCTAssertNoCrash(result)
        // argument-parser prints the help for a command without a run() when no subcommand is given.
        XCTAssertTrue(result.stdout.contains("SUBCOMMANDS") || result.stderr.contains("SUBCOMMANDS"), result.description)
    }

    // MARK: - Parsing help text

    /// The long option names that start an entry line of the help text ("  --lr <lr>   Learning…").
    private func optionNames(_ help: String) -> [String] {
        help.split(separator: "\n").compactMap { line -> String? in
            // Entries are indented by two spaces; wrapped text (which may start with "--") by more.
            guard line.hasPrefix("  -") else { return nil }
            let trimmed = line.drop(while: { $0 == " " })
            // "-h, --help" → "--help"
            let head = trimmed.split(separator: " ").map(String.init).first { $0.hasPrefix("--") } ?? ""
            return head.trimmingCharacters(in: CharacterSet(charactersIn: ","))
        }
    }

    /// Each option's whole entry (its line plus the wrapped continuation lines), whitespace collapsed.
    private func helpSections(_ help: String) -> [String: String] {
        var sections: [String: String] = [:]
        var current: String?
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop(while: { $0 == " " })
            if line.hasPrefix("  -") {
                let names = optionNames(String(line))
                current = names.first
                if let current { sections[current] = collapsingWhitespace(String(trimmed)) }
            } else if let name = current, line.hasPrefix("      ") {
                sections[name, default: ""] += " " + collapsingWhitespace(String(line))
            } else {
                current = nil
            }
        }
        return sections
    }
}

/// Help text is prose: a backslash left at the end of a source line (an escaped `\\` where a line
/// continuation `\` was meant) would be printed.
final class HelpTextTests: XCTestCase {
    func testNoCommandHelpPrintsAStrayBackslash() throws {
        for command in ["train", "evaluate", "bench", "schedule", "lr-find", "inspect", "predict", "export", "explain"] {
            let result = try CLI.run([command, "--help"])
            XCTAssertSuccess(result)
            XCTAssertFalse(result.stdout.contains("\\"), "\(command) --help prints a backslash:\n\(result.stdout)")
        }
    }
}
