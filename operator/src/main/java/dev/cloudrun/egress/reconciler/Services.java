package dev.cloudrun.egress.reconciler;

import dev.cloudrun.egress.gcp.GcpClients;
import dev.cloudrun.egress.gcp.Inventory;
import dev.cloudrun.egress.gcp.Operations;
import java.time.Clock;

/** What the reconciler works with, built once per operator process. */
record Services(GcpClients gcp, Inventory inventory, Operations operations, WriteBudget writeBudget, Events events, Metrics metrics, Clock clock) {}
