import Foundation

/// A home as Hark sees it: the intent catalog (default plus user directories) and the device registry
/// from one config file, validated together. `hark check` and the daemon load it with `load`.
public struct HomeConfiguration: Sendable {
    public var catalog: Catalog
    public var registry: Registry
    /// User catalog directories in load order: the config's `catalog:` entries (relative to the
    /// config file's directory), then the extra ones passed to `load`.
    public var catalogDirectories: [URL]
    /// Problems that do not stop loading: device names that read like an area, a domain or a scene.
    public var warnings: [Diagnostic]

    public init(catalog: Catalog, registry: Registry, catalogDirectories: [URL] = [], warnings: [Diagnostic] = []) {
        self.catalog = catalog
        self.registry = registry
        self.catalogDirectories = catalogDirectories
        self.warnings = warnings
    }

    /// Reads `configFile`, loads the default catalog (unless `includeDefaultCatalog` is false), the
    /// catalog directories its `catalog:` key lists and `extraCatalogDirectories`, then validates the
    /// registry (scene actions against the catalog). Throws every problem from every file at once.
    public static func load(configFile: URL, extraCatalogDirectories: [URL] = [], includeDefaultCatalog: Bool = true) throws(Diagnostics) -> HomeConfiguration {
        let file = configFile.path
        guard let data = FileManager.default.contents(atPath: file) else {
            throw Diagnostics([Diagnostic(SourceLocation(file: file, line: 1, column: 1), path: "", message: "cannot read configuration file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw Diagnostics([Diagnostic(SourceLocation(file: file, line: 1, column: 1), path: "", message: "configuration file is not UTF-8")])
        }
        var problems: [Diagnostic] = []

        // First pass: the `catalog:` key, so catalog problems are reported even when the registry has some.
        var reader = YAMLReader(file: file)
        let root = reader.compose(text)
        var loader = RegistryLoader(reader: reader)
        if let root, let top = root.mapping, let list = top["catalog"] {
            var r = YAMLReader(file: file)
            loader.catalogDirectories = r.strings(list, "catalog")
        }
        let base = configFile.deletingLastPathComponent()
        let dirs = loader.catalogDirectories.map { path in
            (path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)).standardizedFileURL
        } + extraCatalogDirectories

        var catalog: Catalog?
        do { catalog = try Catalog.load(directories: dirs, includeDefault: includeDefaultCatalog) } catch { problems += error.items }

        var registry = Registry(areas: [], devices: [])
        if let root {
            registry = loader.read(root, catalog: catalog)
        } else if loader.reader.diagnostics.isEmpty {
            loader.reader.error(at: SourceLocation(file: file, line: 1, column: 1), "", "empty configuration file")
        }
        problems = loader.reader.diagnostics + problems
        if !problems.isEmpty { throw Diagnostics(problems) }
        return HomeConfiguration(catalog: catalog!, registry: registry, catalogDirectories: dirs, warnings: Diagnostics(loader.warnings).items)
    }
}
