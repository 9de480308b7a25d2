import ArgumentParser
import Foundation
import Intents

/// `hark check`: validates the intent catalog and the device registry of a configuration file.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the intent catalog and the device registry of a configuration file.",
        discussion: """
            Loads the default intent catalog, the catalog directories listed under the config's \
            `catalog:` key and any --catalog directories, and the registry (site, areas, devices, \
            scenes) of --config. Prints every problem as `file:line:col: field: message` and exits 1, \
            or prints a one-line summary and exits 0. Warnings (a device name that also reads as an \
            area, a domain or a scene) are printed but do not fail the check. The daemon's sections \
            (mqtt, audio, speech, model, parser, hermes, logging) are not checked here.
            """)

    @Option(name: .long, help: "The configuration YAML file.")
    var config: String

    @Option(name: .long, help: "An extra intent catalog directory (repeatable).")
    var catalog: [String] = []

    func run() throws {
        let extra = catalog.map { URL(fileURLWithPath: $0) }
        do {
            let home = try HomeConfiguration.load(configFile: URL(fileURLWithPath: config), extraCatalogDirectories: extra)
            let r = home.registry
            for warning in home.warnings { print(warning) }
            print("ok: \(home.catalog.intents.count) intents, \(r.devices.count) devices in \(r.areas.count) areas")
        } catch {
            for problem in error.items { print(problem) }
            FileHandle.standardError.write(Data("\(error.items.count) problem\(error.items.count == 1 ? "" : "s") found\n".utf8))
            throw ExitCode(1)
        }
    }
}
