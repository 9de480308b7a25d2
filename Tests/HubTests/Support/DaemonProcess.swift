import Foundation
#if canImport(Glibc)
import Glibc
#endif
import MosquittoTestSupport
import XCTest

/// The built `hark` executable run as a separate process, its standard output and error in a
/// file, with an empty signal mask and default signal actions (the threads async tests run on
/// block SIGTERM, and a child would inherit that through Foundation's `Process`).
final class DaemonProcess: @unchecked Sendable {
    /// The package root: this file is `Tests/HubTests/Support/DaemonProcess.swift`.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `.build/debug/hark` (what `swift build` and `swift test` build), built now if missing.
    /// The test home both daemon-process tests run (three devices, plus a desk lamp that a reload
    /// adds), up to the broker's port: each test appends its own client id and sections.
    static func home(port: Int, withDeskLamp: Bool) -> String {
        """
        site: kitchen
        areas:
          - {id: kitchen, name: kitchen}
          - {id: bedroom, name: bedroom}
        devices:
          - {id: kitchen.ceiling, name: ceiling light, area: kitchen, type: dimmable_light, adapter: {zigbee2mqtt: kitchen_ceiling}}
          - {id: kitchen.coffee, name: coffee machine, area: kitchen, type: outlet, adapter: {tasmota: coffee_plug}}
          - {id: bedroom.lamp, name: bedside lamp, area: bedroom, type: dimmable_light, adapter: {zigbee2mqtt: bedside_lamp}}
        \(withDeskLamp ? "  - {id: kitchen.desk_lamp, name: desk lamp, area: kitchen, type: dimmable_light, adapter: {zigbee2mqtt: desk_lamp}}\n" : "")\
        mqtt:
          host: 127.0.0.1
          port: \(port)

        """
    }

    static func executable() throws -> URL {
        let url = packageRoot.appendingPathComponent(".build/debug/hark")
        if !FileManager.default.isExecutableFile(atPath: url.path) {
            try runTool("/usr/bin/env", ["swift", "build", "--product", "hark"], in: packageRoot)
        }
        guard FileManager.default.isExecutableFile(atPath: url.path) else { throw TestFailure("\(url.path) was not built") }
        return url
    }

    let pid: pid_t
    let logFile: URL
    private var status: Int32?

    init(_ executable: URL, _ arguments: [String], logFile: URL) throws {
        self.logFile = logFile
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable.path, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw TestFailure("cannot start \(executable.path): \(String(cString: strerror(rc)))") }
        pid = child
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) { if status == nil { Glibc.kill(pid, number) } }

    /// The exit status once the process has ended (reaping it), else nil.
    func poll() -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        status = raw
        return raw
    }

    /// Waits up to `timeout` seconds for the process to end; returns its raw wait status.
    func wait(timeout: Double) async throws -> Int32 {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if let status = poll() { return status }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("hark (pid \(pid)) still running after \(timeout) s\n\(log)")
    }

    /// SIGKILL if still running (teardown after a failure).
    func forceStop() {
        guard poll() == nil else { return }
        Glibc.kill(pid, SIGKILL)
        var raw: Int32 = 0
        waitpid(pid, &raw, 0)
        status = raw
    }

    /// Waits until the log has a line containing `text`.
    func waitForLog(_ text: String, timeout: Double) async throws {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while !log.contains(text) {
            if let status = poll() { throw TestFailure("hark exited (status \(status)) before logging '\(text)'\n\(log)") }
            guard ContinuousClock.now < deadline else { throw TestFailure("no '\(text)' in hark's log after \(timeout) s\n\(log)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
