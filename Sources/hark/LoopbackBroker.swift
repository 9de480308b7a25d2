import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `mosquitto` of the daemon's own on 127.0.0.1, for the embedded defaults: started when the
/// configured broker is on this machine and nothing listens on its port, stopped on exit.
final class LoopbackBroker {
    let port: Int
    private let directory: URL
    private var child: pid_t = 0

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func isListening(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    init(port: Int) throws {
        self.port = port
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("hark-broker-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let config = directory.appendingPathComponent("mosquitto.conf")
        // Facts from mosquitto.conf(5); set_tcp_nodelay avoids 40 ms QoS 1 round trips (DESIGN.md section 6).
        try """
            listener \(port) 127.0.0.1
            allow_anonymous true
            set_tcp_nodelay true
            persistence false
            log_dest stderr
            log_type error
            log_type warning
            """.write(to: config, atomically: true, encoding: .utf8)
        let path = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else { throw LoopbackBrokerError("no mosquitto found (install Debian's mosquitto, or point mqtt.host at your broker)") }
        child = try Self.spawn(path, ["-c", config.path])
        for _ in 0..<100 where !Self.isListening(port: port) { usleep(50_000) }
        guard Self.isListening(port: port) else { stop(); throw LoopbackBrokerError("mosquitto did not start listening on 127.0.0.1:\(port)") }
    }

    func stop() {
        guard child > 0 else { return }
        kill(child, SIGTERM)
        var status: Int32 = 0
        waitpid(child, &status, 0)
        child = 0
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    /// posix_spawn with default signal dispositions and an empty mask, so mosquitto sees SIGTERM
    /// whatever this thread blocks.
    private static func spawn(_ path: String, _ arguments: [String]) throws -> pid_t {
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
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, nil, &attributes, argv, environ)
        guard rc == 0 else { throw LoopbackBrokerError("cannot start \(path): error \(rc)") }
        return child
    }
}

struct LoopbackBrokerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
