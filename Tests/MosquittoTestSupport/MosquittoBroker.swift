import Foundation
import XCTest

/// A real `mosquitto` broker for one test: its config in a temporary directory, 127.0.0.1 and a
/// free port, started as a child process, stopped by PID, restartable on the same port.
///
/// Shared by the MQTT and Hub tests. `persistent`: sessions, subscriptions and queued QoS 1
/// messages survive a restart, as a production broker is configured ("nothing lost across
/// broker restarts" needs it).
public final class MosquittoBroker: @unchecked Sendable {
    public enum Security: Sendable {
        case anonymous
        /// `password_file` (made with `mosquitto_passwd`), anonymous clients refused.
        case passwordFile(String)
        /// A TLS listener with this CA, server certificate and key.
        case tls(caFile: String, certificateFile: String, keyFile: String, requireClientCertificate: Bool)
    }

    public static let executable = "/usr/sbin/mosquitto"

    public let directory: URL
    public let port: Int
    public let configFile: URL
    public let logFile: URL
    private var pid: pid_t?

    /// Writes the configuration; call `start()` to run it.
    public init(directory: URL, security: Security = .anonymous, port: Int? = nil, persistent: Bool = false) throws {
        self.directory = directory
        self.port = try port ?? Self.freePort()
        configFile = directory.appendingPathComponent("mosquitto-\(self.port).conf")
        logFile = directory.appendingPathComponent("mosquitto-\(self.port).log")
        var lines = [
            "per_listener_settings false",
            persistent ? "persistence true" : "persistence false",
            "set_tcp_nodelay true",
            "log_dest file \(logFile.path)",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            "listener \(self.port) 127.0.0.1",
        ]
        if persistent {
            lines += ["persistence_location \(directory.path)/", "persistence_file mosquitto-\(self.port).db", "max_queued_messages 20000"]
        }
        // Started as root, mosquitto drops privileges to the `mosquitto` user unless told not to,
        // and could then not read the files in the test's directory.
        if getuid() == 0 { lines.append("user root") }
        switch security {
        case .anonymous:
            lines.append("allow_anonymous true")
        case let .passwordFile(path):
            lines += ["allow_anonymous false", "password_file \(path)"]
        case let .tls(caFile, certificateFile, keyFile, requireClientCertificate):
            lines += [
                "allow_anonymous true",
                "cafile \(caFile)",
                "certfile \(certificateFile)",
                "keyfile \(keyFile)",
                "require_certificate \(requireClientCertificate)",
            ]
        }
        try (lines.joined(separator: "\n") + "\n").write(to: configFile, atomically: true, encoding: .utf8)
    }

    /// Picks a port nobody listens on: bind port 0, read the port the kernel chose, close.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BrokerError("socket() failed: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw BrokerError("cannot bind a free port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Starts mosquitto and returns once its port accepts TCP connections (at most `timeout` s).
    public func start(timeout: TimeInterval = 10) throws {
        guard pid == nil else { throw BrokerError("broker on port \(port) already running") }
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw BrokerError("\(Self.executable) is missing: install the Debian package mosquitto")
        }
        let child = try Self.spawn(Self.executable, ["-c", configFile.path])
        pid = child
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let status = Self.exitStatus(child) {
                pid = nil
                throw BrokerError("mosquitto on port \(port) exited with status \(status)\n\(logTail())")
            }
            if Self.acceptsConnections(port: port) { return }
            usleep(20_000)
        }
        try? stop()
        throw BrokerError("mosquitto on port \(port) did not accept connections within \(timeout) s\n\(logTail())")
    }

    /// SIGTERM by PID, then waits for the process to exit (SIGKILL after `timeout` s).
    public func stop(timeout: TimeInterval = 10) throws {
        guard let child = pid else { return }
        pid = nil
        kill(child, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if Self.exitStatus(child) != nil { return }
            usleep(5_000)
        }
        kill(child, SIGKILL)
        var status: Int32 = 0
        waitpid(child, &status, 0)
        throw BrokerError("mosquitto (pid \(child), port \(port)) ignored SIGTERM for \(timeout) s; killed\n\(logTail())")
    }

    /// Starts `path` with `arguments`, output to /dev/null, with an empty signal mask and default
    /// signal actions. (Foundation's `Process` passes on the spawning thread's mask, and the
    /// threads async tests run on block SIGTERM, which mosquitto would then never see.)
    private static func spawn(_ path: String, _ arguments: [String]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw BrokerError("cannot start \(path): \(String(cString: strerror(rc)))") }
        return child
    }

    /// The exit status if `child` has ended (and reaps it), else nil.
    private static func exitStatus(_ child: pid_t) -> Int32? {
        var status: Int32 = 0
        let rc = waitpid(child, &status, WNOHANG)
        if rc == child || (rc < 0 && errno == ECHILD) { return status }
        return nil
    }

    /// Stops and starts again on the same port.
    public func restart() throws {
        try stop()
        try start()
    }

    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    public func logTail(lines count: Int = 30) -> String {
        let lines = log.split(separator: "\n", omittingEmptySubsequences: false)
        return "--- mosquitto log (\(logFile.path)) ---\n" + lines.suffix(count).joined(separator: "\n")
    }

    public static func acceptsConnections(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

public struct BrokerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs a command line tool and returns its standard output; throws with its output on failure.
@discardableResult
public func runTool(_ path: String, _ arguments: [String], in directory: URL) throws -> String {
    guard FileManager.default.isExecutableFile(atPath: path) else {
        throw BrokerError("\(path) is missing; it is needed by this test (install it, do not skip the test)")
    }
    let child = Process()
    child.executableURL = URL(fileURLWithPath: path)
    child.arguments = arguments
    child.currentDirectoryURL = directory
    let output = Pipe()
    child.standardOutput = output
    child.standardError = output
    try child.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    child.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard child.terminationStatus == 0 else {
        throw BrokerError("\(path) \(arguments.joined(separator: " ")) failed with status \(child.terminationStatus):\n\(text)")
    }
    return text
}
