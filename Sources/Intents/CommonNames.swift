/// Names of rooms and devices that homes commonly have (the pools random training homes are built
/// from), for telling that a command names something *this* home lacks ("turn on the bedroom
/// lights" in a home without a bedroom). Left out: names that are also everyday words or verbs
/// ("study", "bolt", "iron") and generic words people use for whatever heats or plays in their
/// home ("boiler", "speaker"), which would refuse commands meant for a device named otherwise.
public enum CommonNames {
    static let ambiguous: Set<String> = [
        "study", "shop", "bath", "deck", "lounge", "bolt", "iron", "shield", "amp", "echo", "mixer", "monitor", "spots",
        "pendant", "sensor", "speaker", "radio", "stereo", "boiler", "radiator", "heater", "aircon", "hifi",
        "charger", "computer", "projector", "alexa", "extractor", "ventilation", "shutter", "sconce",
    ]

    /// Area names and aliases.
    public static let areas: [String] = TrainingPools.areas.flatMap { [$0.name] + $0.aliases }.filter { !ambiguous.contains($0) }

    /// Device names of every type, and the vehicles people ask about that no home device is
    /// ("is the car locked", "start the van"; a home's "car charger" keeps "car" its own).
    public static let devices: [String] = TrainingPools.deviceNames.keys.sorted { $0.rawValue < $1.rawValue }
        .flatMap { TrainingPools.deviceNames[$0]! }.filter { !ambiguous.contains($0) } + vehicles

    static let vehicles = ["car", "van", "truck", "lorry", "motorbike", "motorcycle", "tractor"]
}
