import Foundation
import MosquittoTestSupport
import XCTest

@testable import MQTT

/// Username and password file, TLS with a CA made by openssl at test time, client certificates.
final class MQTTSecurityTests: MQTTTestCase {
    func testPasswordFileCredentialsAreAccepted() async throws {
        let directory = try makeDirectory()
        let broker = try startBroker(in: directory, security: .passwordFile(try makeBrokerPasswords(in: directory)))
        let passwordFile = directory.appendingPathComponent("hark.password")
        try "s3cret word\n".write(to: passwordFile, atomically: true, encoding: .utf8)

        var settings = configuration(broker, clientID: "auth-ok")
        settings.credentials = .init(username: "hark", password: .file(passwordFile.path))
        let client = try await connectedClient(settings)
        let inbox = Collector(client.messages)
        try await client.subscribe("test/auth")
        try client.publish(topic: "test/auth", payload: "authenticated")
        let received = try await inbox.wait(forCount: 1, on: "test/auth")
        XCTAssertEqual(received.first?.text, "authenticated")
    }

    func testWrongPasswordIsAClearRefusal() async throws {
        let directory = try makeDirectory()
        let broker = try startBroker(in: directory, security: .passwordFile(try makeBrokerPasswords(in: directory)))
        var settings = configuration(broker, clientID: "auth-wrong")
        settings.credentials = .init(username: "hark", password: .literal("not the password"))
        let client = try makeClient(settings)
        let events = Collector(client.events)
        try client.start()
        do {
            try await client.waitUntilConnected(timeout: .seconds(10))
            XCTFail("connected with a wrong password")
        } catch let error as MQTTError {
            guard case let .connectionRefused(host, port, code, reason) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(host, "127.0.0.1")
            XCTAssertEqual(port, broker.port)
            XCTAssertTrue([4, 5].contains(code), "CONNACK code \(code)")
            XCTAssertTrue(reason.contains("not authorised") || reason.contains("bad user name or password"), reason)
            XCTAssertTrue("\(error)".contains("127.0.0.1:\(broker.port) refused the connection"), "\(error)")
        }
        let seen = try await events.wait(for: "the refusal event") { !$0.isEmpty }
        guard case .disconnected(.connectionRefused) = seen[0] else { return XCTFail("\(seen)") }
        XCTAssertFalse(client.isConnected)
        // Anonymous clients are refused too.
        let anonymous = try makeClient(configuration(broker, clientID: "auth-anonymous"))
        try anonymous.start()
        do {
            try await anonymous.waitUntilConnected(timeout: .seconds(10))
            XCTFail("an anonymous client connected")
        } catch MQTTError.connectionRefused {}
    }

    func testMissingOrEmptyPasswordFileErrorNamesTheFile() async throws {
        let directory = try makeDirectory()
        let missing = directory.appendingPathComponent("no-such.password").path
        let client = try makeClient(MQTTConfiguration(
            port: 1, clientID: "auth-missing", credentials: .init(username: "hark", password: .file(missing))))
        XCTAssertThrowsError(try client.start()) { error in
            XCTAssertEqual(error as? MQTTError, .passwordFileUnreadable(path: missing, reason: "No such file or directory"))
            XCTAssertTrue("\(error)".contains(missing), "\(error)")
        }
        let empty = directory.appendingPathComponent("empty.password")
        try "\n".write(to: empty, atomically: true, encoding: .utf8)
        let second = try makeClient(MQTTConfiguration(
            port: 1, clientID: "auth-empty", credentials: .init(username: "hark", password: .file(empty.path))))
        XCTAssertThrowsError(try second.start()) { error in
            XCTAssertEqual(error as? MQTTError, .passwordFileUnreadable(path: empty.path, reason: "the file is empty"))
        }
    }

    func testTLSWithTheRightCAConnects() async throws {
        let directory = try makeDirectory()
        let ca = try TestCertificates(name: "hark-ca", in: directory)
        let server = try ca.issue("server", commonName: "localhost", server: true)
        let broker = try startBroker(
            in: directory, security: .tls(caFile: ca.caFile, certificateFile: server.certificate, keyFile: server.key, requireClientCertificate: false))

        var settings = configuration(broker, clientID: "tls-ok", presence: .init())
        settings.tls = .init(caFile: ca.caFile)
        let client = try await connectedClient(settings)
        let inbox = Collector(client.messages)
        try await client.subscribe("test/tls")
        try client.publish(topic: "test/tls", payload: "over TLS")
        let received = try await inbox.wait(forCount: 1, on: "test/tls")
        XCTAssertEqual(received.first?.text, "over TLS")
        let undelivered = await client.stop()
        XCTAssertEqual(undelivered, 0)
    }

    func testTLSWithAWrongCAFailsClearlyAndKeepsRetrying() async throws {
        let directory = try makeDirectory()
        let ca = try TestCertificates(name: "hark-ca", in: directory)
        let stranger = try TestCertificates(name: "other-ca", in: directory)
        let server = try ca.issue("server", commonName: "localhost", server: true)
        let broker = try startBroker(
            in: directory, security: .tls(caFile: ca.caFile, certificateFile: server.certificate, keyFile: server.key, requireClientCertificate: false))

        var settings = configuration(broker, clientID: "tls-wrong-ca")
        settings.tls = .init(caFile: stranger.caFile)
        let client = try makeClient(settings)
        let events = Collector(client.events)
        try client.start()
        do {
            try await client.waitUntilConnected(timeout: .seconds(10))
            XCTFail("connected although the broker's certificate is not signed by the configured CA")
        } catch let error as MQTTError {
            guard case let .tlsFailed(host, port, detail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(host, "127.0.0.1")
            XCTAssertEqual(port, broker.port)
            XCTAssertTrue(detail.contains("certificate verify failed"), detail)
        }
        // libmosquitto's network thread gives up after a TLS error; the client restarts it and
        // tries again after the reconnect delay (1 s here).
        try await events.wait(for: "a second TLS failure", timeout: 15) {
            $0.filter { if case .disconnected(.tlsFailed) = $0 { true } else { false } }.count >= 2
        }
        XCTAssertFalse(client.isConnected)
    }

    func testTLSClientCertificateIsRequiredAndAccepted() async throws {
        let directory = try makeDirectory()
        let ca = try TestCertificates(name: "hark-ca", in: directory)
        let server = try ca.issue("server", commonName: "localhost", server: true)
        let hub = try ca.issue("hub", commonName: "hark-hub", server: false)
        let broker = try startBroker(
            in: directory, security: .tls(caFile: ca.caFile, certificateFile: server.certificate, keyFile: server.key, requireClientCertificate: true))

        var settings = configuration(broker, clientID: "tls-client-cert")
        settings.tls = .init(caFile: ca.caFile, certificateFile: hub.certificate, keyFile: hub.key)
        let client = try await connectedClient(settings)
        XCTAssertTrue(client.isConnected)

        var without = configuration(broker, clientID: "tls-no-client-cert")
        without.tls = .init(caFile: ca.caFile)
        let refused = try makeClient(without)
        try refused.start()
        do {
            try await refused.waitUntilConnected(timeout: .seconds(3))
            XCTFail("connected without the required client certificate")
        } catch let error as MQTTError {
            guard case let .tlsFailed(_, port, detail) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(port, broker.port)
            XCTAssertTrue(detail.contains("certificate required"), detail)
        }
    }

    func testUnreadableTLSFilesAreNamed() throws {
        let missing = "/nonexistent/hark/ca.pem"
        XCTAssertThrowsError(try MQTTClient(configuration: MQTTConfiguration(clientID: "tls-missing", tls: .init(caFile: missing)))) { error in
            XCTAssertEqual(error as? MQTTError, .tlsFileUnreadable(path: missing, role: "CA file", reason: "No such file or directory"))
            XCTAssertTrue("\(error)".contains(missing), "\(error)")
        }
    }

    /// A mosquitto password file with user `hark`, password `s3cret word`.
    private func makeBrokerPasswords(in directory: URL) throws -> String {
        let file = directory.appendingPathComponent("broker.passwd").path
        try runTool("/usr/bin/mosquitto_passwd", ["-b", "-c", file, "hark", "s3cret word"], in: directory)
        return file
    }
}
