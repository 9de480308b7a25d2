import Intents

/// The Hermes NLU messages as Rhasspy 2.5 (rhasspy-hermes) writes them.
///
/// In: `hermes/nlu/query`
/// `{"input","siteId","id","sessionId","intentFilter","customData","wakewordId","lang"}`; only
/// `input` is required (`siteId` defaults to `default`).
///
/// Out, for an action: `hermes/intent/<intentName>`
///
///     {"input":"turn on the ceiling light","intent":{"intentName":"turn_on","confidenceScore":1},
///      "slots":[{"entity":"device","value":{"kind":"Unknown","value":"kitchen.ceiling"},
///                "slotName":"device","rawValue":"ceiling light","confidence":1,"range":null}],
///      "siteId":"kitchen","sessionId":"s1","id":"q1","customData":null,"asrTokens":[],
///      "asrConfidence":null,"rawInput":"turn on the ceiling light","wakewordId":null,"lang":null}
///
/// `entity` is the slot's type in Hark's catalog (`device`, `area`, `percent`, `color`, …);
/// `value.value` is the canonical value (ids as strings, numbers as numbers); `rawValue` is its
/// spoken form (the registry name for devices and areas), since the parser does not report spans.
///
/// Out, otherwise: `hermes/nlu/intentNotRecognized` `{"input","siteId","id","customData","sessionId"}`,
/// and for a query that cannot be read at all, `hermes/error/nlu` `{"error","context","siteId","sessionId"}`.
public enum Hermes {
    public static let queryTopic = "hermes/nlu/query"
    public static let notRecognizedTopic = "hermes/nlu/intentNotRecognized"
    public static let errorTopic = "hermes/error/nlu"
    public static func intentTopic(_ name: String) -> String { "hermes/intent/\(name)" }

    /// A `hermes/nlu/query` message.
    public struct Query: Sendable, Equatable {
        public var input: String
        public var siteID: String
        public var id: String?
        public var sessionID: String?
        /// Intent names the answer may use; nil means all.
        public var intentFilter: [String]?
        public var customData: String?
        public var wakewordID: String?
        public var lang: String?

        public init(input: String, siteID: String = "default", id: String? = nil, sessionID: String? = nil, intentFilter: [String]? = nil,
                    customData: String? = nil, wakewordID: String? = nil, lang: String? = nil) {
            self.input = input
            self.siteID = siteID
            self.id = id
            self.sessionID = sessionID
            self.intentFilter = intentFilter
            self.customData = customData
            self.wakewordID = wakewordID
            self.lang = lang
        }

        /// Reads a query; the error names the field at fault.
        public init(json: JSON) throws(HermesError) {
            guard json.members != nil else { throw HermesError("a query must be a JSON object") }
            func optionalString(_ key: String) throws(HermesError) -> String? {
                switch json[key] {
                case nil, .null?: return nil
                case let .string(s)?: return s
                default: throw HermesError("'\(key)' must be a string")
                }
            }
            guard case let .string(input)? = json["input"] else {
                throw HermesError(json["input"] == nil ? "'input' is missing" : "'input' must be a string")
            }
            self.input = input
            siteID = try optionalString("siteId") ?? "default"
            id = try optionalString("id")
            sessionID = try optionalString("sessionId")
            customData = try optionalString("customData")
            wakewordID = try optionalString("wakewordId")
            lang = try optionalString("lang")
            switch json["intentFilter"] {
            case nil, .null?: intentFilter = nil
            case let .array(items)?:
                var names: [String] = []
                for item in items {
                    guard let name = item.stringValue else { throw HermesError("'intentFilter' must be a list of intent names") }
                    names.append(name)
                }
                intentFilter = names
            default: throw HermesError("'intentFilter' must be a list of intent names")
            }
        }

        public var json: JSON {
            .make([
                "input": .string(input), "siteId": .string(siteID), "id": Hermes.nullable(id), "sessionId": Hermes.nullable(sessionID),
                "intentFilter": intentFilter.map { .array($0.map(JSON.string)) } ?? .null, "customData": Hermes.nullable(customData),
                "wakewordId": Hermes.nullable(wakewordID), "lang": Hermes.nullable(lang),
            ])
        }
    }

    static func nullable(_ s: String?) -> JSON { s.map(JSON.string) ?? .null }

    /// `hermes/intent/<intentName>` for a recognised action.
    public static func intent(for query: Query, action: ResolvedAction, confidence: Double, catalog: Catalog, registry: Registry) -> JSON {
        let definition = catalog.intent(named: action.intent)
        var slots: [JSON] = []
        for (name, value) in action.slots {
            let entity = definition?.slot(named: name)?.type.name ?? name
            let (canonical, raw): (JSON, String)
            switch value {
            case let .number(n):
                canonical = .number(n.doubleValue)
                raw = n.description
            case let .id(id):
                canonical = .string(id)
                raw = registry.device(id: id)?.name ?? registry.area(id: id)?.name ?? registry.scene(id: id)?.name
                    ?? id.replacingOccurrences(of: "_", with: " ")
            }
            slots.append(.make([
                "entity": .string(entity), "value": .make(["kind": "Unknown", "value": canonical]), "slotName": .string(name),
                "rawValue": .string(raw), "confidence": .number(confidence), "range": .null,
            ]))
        }
        return .make([
            "input": .string(query.input),
            "intent": .make(["intentName": .string(action.intent), "confidenceScore": .number(confidence)]),
            "slots": .array(slots),
            "siteId": .string(query.siteID), "sessionId": nullable(query.sessionID), "id": nullable(query.id),
            "customData": nullable(query.customData), "asrTokens": .array([]), "asrConfidence": .null,
            "rawInput": .string(query.input), "wakewordId": nullable(query.wakewordID), "lang": nullable(query.lang),
        ])
    }

    /// `hermes/nlu/intentNotRecognized`.
    public static func notRecognized(for query: Query) -> JSON {
        .make([
            "input": .string(query.input), "siteId": .string(query.siteID), "id": nullable(query.id),
            "customData": nullable(query.customData), "sessionId": nullable(query.sessionID),
        ])
    }

    // MARK: Speech (hotword and ASR)

    /// In, with `speech.push_to_talk`: opens listening at the message's `siteId` without the wake phrase.
    public static let startListeningTopic = "hermes/asr/startListening"
    public static let textCapturedTopic = "hermes/asr/textCaptured"
    public static func hotwordDetectedTopic(_ wakewordID: String) -> String { "hermes/hotword/\(wakewordID)/detected" }

    /// The wakeword id of a phrase: its words joined by `_` (`hey_hark_house`).
    public static func wakewordID(_ phrase: String) -> String {
        phrase.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: "_")
    }

    /// `hermes/hotword/<id>/detected`.
    public static func hotwordDetected(wakewordID: String, siteID: String, sensitivity: Double) -> JSON {
        .make([
            "modelId": .string(wakewordID), "modelVersion": "", "modelType": "personal", "currentSensitivity": .number(sensitivity),
            "siteId": .string(siteID), "sessionId": .null, "sendAudioCaptured": .null, "lang": .null,
        ])
    }

    /// `hermes/asr/textCaptured`: the transcript, its length in seconds and the recogniser's confidence.
    public static func textCaptured(text: String, seconds: Double, likelihood: Double, siteID: String, sessionID: String?,
                                    wakewordID: String?) -> JSON {
        .make([
            "text": .string(text), "likelihood": .number(likelihood), "seconds": .number((seconds * 1000).rounded() / 1000),
            "siteId": .string(siteID), "sessionId": nullable(sessionID), "wakewordId": nullable(wakewordID),
            "asrTokens": .null, "lang": .null,
        ])
    }

    /// `hermes/error/nlu`, for a query too broken to answer with intentNotRecognized.
    public static func nluError(_ error: String, context: String, siteID: String = "default", sessionID: String? = nil) -> JSON {
        .make(["error": .string(error), "context": .string(context), "siteId": .string(siteID), "sessionId": nullable(sessionID)])
    }
}

public struct HermesError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
