package dev.cloudrun.egress.reconciler;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJob;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobSpec;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus;
import dev.cloudrun.egress.api.v1alpha1.CloudRunEgressJobStatus.OwnedObject;
import dev.cloudrun.egress.api.v1alpha1.NatSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The GCP objects a CloudRunEgressJob manages, kept in status.owned: recorded before a create
 * starts (so a crash between the create and the status write leaves a record, not an orphan),
 * confirmed once the object is known to be this resource's, and removed once the object is
 * deleted or released. Spec changes and deletion work from it, not from the spec: an object the
 * spec no longer implies is still found here ({@link Release}).
 */
final class Ledger {
  static final int MAX_ENTRIES = CloudRunEgressJobStatus.MAX_OWNED;

  /** The kinds, in the order they are deleted: what uses an object goes before it. */
  enum Kind {
    SCHEDULE("schedule", false),
    PROBE("probe", false),
    JOB("job", false),
    FIREWALL("firewall", false),
    NAT("nat", true),
    ROUTER("router", true),
    ADDRESS("address", true),
    CONNECTOR("connector", true);

    final String label;
    /** Whether other CloudRunEgressJobs may use the same object (they name it in their specs too). */
    final boolean shareable;

    Kind(String label, boolean shareable) {
      this.label = label;
      this.shareable = shareable;
    }

    static Kind of(String label) {
      for (Kind kind : values()) {
        if (kind.label.equals(label)) {
          return kind;
        }
      }
      throw new IllegalArgumentException("unknown kind in status.owned: " + label);
    }
  }

  /** How this resource came to manage the object. */
  enum State {
    /** Recorded before the create starts; confirmed when the object turns out to be the one this resource created. */
    Creating,
    Created,
    /** Created by the operator for another resource that shares it with this one. */
    Claimed,
    /** Made outside the operator, taken over through spec.adoptExisting. */
    Adopted
  }

  /** One object: its kind and full name. */
  record Key(Kind kind, String name) {
    @Override
    public String toString() {
      return kind.label + " " + name;
    }
  }

  private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();
  /**
   * How long after its create was called an object may still be invisible: Compute shows a router,
   * NAT, address or firewall rule once its insert's operation is done, usually within a minute. A
   * create whose record was lost (a restart between the call and the status write) is only known
   * from its Creating entry, so the entry outlives a lookup that misses it until then
   * ({@link Attempts#createMayRunUntil}).
   */
  static final Duration CREATE_MAY_STILL_RUN = Duration.ofMinutes(5);

  private final List<OwnedObject> entries;
  private final Instant now;

  Ledger(CloudRunEgressJobStatus status, Instant now) {
    this.entries = status.getOwned();
    this.now = now;
  }

  Optional<State> state(Key key) {
    return entry(key).map(e -> State.valueOf(e.getState()));
  }

  /** True once {@code key} is known to be managed by the resource of {@code status} (not merely about to be created). */
  static boolean manages(CloudRunEgressJobStatus status, Key key) {
    return status.getOwned().stream().anyMatch(e -> e.getKind().equals(key.kind().label) && e.getName().equals(key.name())
        && !State.Creating.name().equals(e.getState()));
  }

  /**
   * Records {@code key} in {@code state} (a new entry, or a change of an existing one's state).
   * False when the ledger is full: the caller must not create the object.
   */
  boolean record(Key key, State state) {
    Optional<OwnedObject> existing = entry(key);
    if (existing.isPresent()) {
      if (state == State.Creating && !State.Creating.name().equals(existing.get().getState())) {
        existing.get().setSince(now.toString());
      }
      existing.get().setState(state.name());
      if (state != State.Creating) {
        existing.get().setRequest(null);
        existing.get().setSince(null);
      }
      return true;
    }
    if (entries.size() >= MAX_ENTRIES) {
      return false;
    }
    OwnedObject entry = new OwnedObject();
    entry.setKind(key.kind().label);
    entry.setName(key.name());
    entry.setShared(key.kind().shareable);
    entry.setState(state.name());
    if (state == State.Creating) {
      entry.setSince(now.toString());
    }
    entries.add(entry);
    return true;
  }

  /**
   * Records that this resource is about to create {@code key}, an object of a kind that carries no
   * marker, with {@code request}: found later exactly as it asked, it is this resource's even when
   * the spec has moved on ({@link ObjectKind#foundAsAsked}). False when the ledger is full.
   */
  boolean recordCreating(Key key, Message request) {
    if (!record(key, State.Creating)) {
      return false;
    }
    try {
      entry(key).orElseThrow().setRequest(JSON.print(request));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a GCP request always prints as JSON", e);
    }
    return true;
  }

  /** What the recorded create of {@code key} asked for, read into {@code builder}, while it is Creating. */
  <B extends Message.Builder> Optional<B> request(Key key, B builder) {
    return entry(key).map(OwnedObject::getRequest).map(json -> {
      try {
        JsonFormat.parser().ignoringUnknownFields().merge(json, builder);
        return builder;
      } catch (InvalidProtocolBufferException e) {
        return null; // not this operator's JSON: the object cannot be shown to be as asked
      }
    });
  }

  /** Whether {@code key} is Creating and not yet seen since its create was recorded (an entry from before that field existed: no). */
  boolean creatingUnseen(Key key) {
    return creatingUnseen().contains(key.name());
  }

  /** The names of the Creating entries not yet seen since their creates were recorded. */
  Set<String> creatingUnseen() {
    return entries.stream().filter(e -> State.Creating.name().equals(e.getState()) && e.getSince() != null)
        .map(OwnedObject::getName).collect(Collectors.toSet());
  }

  /**
   * The create of {@code key}, a kind that carries a marker, failed after GCP accepted it: the
   * entry is Creating again, so that only the object's marker can make it this resource's. Claimed
   * and adopted entries stay.
   */
  void unconfirm(Key key) {
    entry(key).filter(e -> State.Created.name().equals(e.getState())).ifPresent(e -> {
      e.setState(State.Creating.name());
      e.setSince(now.toString());
    });
  }

  /** The object was found: a create of it is over, and once it is not found again it is gone. */
  void found(Key key) {
    entry(key).ifPresent(e -> e.setSince(null));
  }

  /** The object is gone, or no longer this resource's to manage. */
  void forget(Key key) {
    entry(key).ifPresent(entries::remove);
  }

  List<Key> keys() {
    return entries.stream().map(e -> new Key(Kind.of(e.getKind()), e.getName())).toList();
  }

  private Optional<OwnedObject> entry(Key key) {
    return entries.stream().filter(e -> e.getKind().equals(key.kind().label) && e.getName().equals(key.name())).findFirst();
  }

  /**
   * Every object the spec implies the operator manages (not those marked existing, which it only
   * uses). The parts and {@link Release} agree through this one list: a ledger entry outside it is
   * stale.
   */
  static Set<Key> implied(CloudRunEgressJob cr) {
    return objects(cr, false);
  }

  /** Every object the spec names, managed or marked existing: what another resource must not delete from under it. */
  static Set<Key> used(CloudRunEgressJob cr) {
    return objects(cr, true);
  }

  private static Set<Key> objects(CloudRunEgressJob cr, boolean withExisting) {
    CloudRunEgressJobSpec spec = cr.getSpec();
    Targets targets = Targets.of(cr);
    Set<Key> keys = new LinkedHashSet<>();
    if (spec.getEgress().getConnector() != null && (withExisting || !spec.getEgress().getConnector().getExisting())) {
      keys.add(new Key(Kind.CONNECTOR, targets.connectorPath()));
    }
    NatSpec nat = spec.getEgress().getNat();
    if (nat != null && (withExisting || !nat.getExisting())) {
      if (nat.getIpAllocation() == NatSpec.IpAllocation.Static && nat.getAddresses() != null) {
        nat.getAddresses().stream().filter(a -> withExisting || !a.getExisting())
            .forEach(a -> keys.add(new Key(Kind.ADDRESS, targets.addressPath(a.getName()))));
      }
      if (withExisting || !nat.getUseExistingRouter()) {
        keys.add(new Key(Kind.ROUTER, targets.routerPath(nat.getRouter())));
      }
      keys.add(new Key(Kind.NAT, targets.natPath(nat.getRouter(), nat.getName())));
    }
    FirewallPart.ruleNames(cr, targets).forEach(name -> keys.add(new Key(Kind.FIREWALL, targets.firewallPath(name))));
    keys.add(new Key(Kind.JOB, targets.jobPath()));
    if (spec.getExecution() != null && spec.getExecution().getSchedule() != null) {
      keys.add(new Key(Kind.SCHEDULE, targets.schedulePath()));
    }
    if (spec.getDiagnosis() != null && spec.getDiagnosis().getProbe() != null && spec.getDiagnosis().getProbe().getEnabled()) {
      keys.add(new Key(Kind.PROBE, targets.probeJobPath(ProbeJobPart.SUFFIX)));
    }
    return keys;
  }
}
