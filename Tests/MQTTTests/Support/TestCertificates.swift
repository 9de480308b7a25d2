import Foundation
import MosquittoTestSupport

/// A certificate authority and certificates made with the `openssl` command at test time.
/// A missing `openssl` fails the test with a message; it is never skipped.
struct TestCertificates {
    static let openssl = "/usr/bin/openssl"

    let caFile: String
    let caKey: String
    let directory: URL

    /// A new CA named `name` in `directory`.
    init(name: String, in directory: URL) throws {
        self.directory = directory
        caFile = directory.appendingPathComponent("\(name).crt").path
        caKey = directory.appendingPathComponent("\(name).key").path
        try runTool(Self.openssl, [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", caKey, "-out", caFile, "-days", "2", "-subj", "/CN=Hark test CA \(name)",
        ], in: directory)
    }

    /// A certificate and key for `commonName` signed by this CA; servers get the subject
    /// alternative names 127.0.0.1 and localhost.
    func issue(_ name: String, commonName: String, server: Bool) throws -> (certificate: String, key: String) {
        let key = directory.appendingPathComponent("\(name).key").path
        let request = directory.appendingPathComponent("\(name).csr").path
        let certificate = directory.appendingPathComponent("\(name).crt").path
        let extensions = directory.appendingPathComponent("\(name).ext")
        let usage = server ? "serverAuth" : "clientAuth"
        var lines = ["basicConstraints=CA:FALSE", "extendedKeyUsage=\(usage)"]
        if server { lines.append("subjectAltName=IP:127.0.0.1,DNS:localhost") }
        try (lines.joined(separator: "\n") + "\n").write(to: extensions, atomically: true, encoding: .utf8)
        try runTool(Self.openssl, [
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", request, "-subj", "/CN=\(commonName)",
        ], in: directory)
        try runTool(Self.openssl, [
            "x509", "-req", "-in", request, "-CA", caFile, "-CAkey", caKey, "-CAcreateserial",
            "-out", certificate, "-days", "2", "-extfile", extensions.path,
        ], in: directory)
        return (certificate, key)
    }
}
