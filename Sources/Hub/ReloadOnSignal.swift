import Foundation
import Inference
import ServiceLifecycle
import UnixSignals

/// Reloads the hub's configuration file each time the process gets `signal` (SIGHUP), until
/// graceful shutdown. A reload that fails keeps the running configuration (`HubService.reload`),
/// so this service never fails.
public struct ReloadOnSignal: Service, CustomStringConvertible {
    public let hub: HubService
    public let configFile: URL
    public let signal: UnixSignal
    private let logger: HubLogger

    public init(hub: HubService, configFile: URL, signal: UnixSignal = .sighup, logger: HubLogger) {
        self.hub = hub
        self.configFile = configFile
        self.signal = signal
        self.logger = logger
    }

    public var description: String { "ReloadOnSignal(\(signal))" }

    public func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: signal).cancelOnGracefulShutdown() {
            logger.info("signal \(signal): reloading", ["file": configFile.path])
            await hub.reload(configFile: configFile)
            // The replaced parser's grammar, masks and cache are freed by now: give their pages back.
            ProcessMemory.returnFreePages()
        }
    }
}
