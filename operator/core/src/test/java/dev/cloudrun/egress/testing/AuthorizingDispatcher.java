package dev.cloudrun.egress.testing;

import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRuleBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectRulesReviewStatusBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * The mock API server ({@link OptimisticLockingDispatcher}) with the API server's authorizer in front of one client: requests
 * carrying its User-Agent are recorded and checked against RBAC rules, refused with 403 as a cluster
 * would when no rule allows them, and a SelfSubjectRulesReview is answered from the same rules.
 * Requests of other clients (a test's own) pass unchecked and unrecorded.
 */
public final class AuthorizingDispatcher extends OptimisticLockingDispatcher {
  private final String userAgent;
  private final String user;
  private final Rbac rbac;
  private final List<Rbac.Request> requests = new CopyOnWriteArrayList<>();
  private final List<Rbac.Request> denied = new CopyOnWriteArrayList<>();
  private final List<Predicate<Rbac.Request>> conflicts = new CopyOnWriteArrayList<>();

  /** @param user the subject's name in messages, e.g. system:serviceaccount:ns:name */
  public AuthorizingDispatcher(String userAgent, String user, Rbac rbac) {
    this.userAgent = userAgent;
    this.user = user;
    this.rbac = rbac;
  }

  @Override
  public MockResponse dispatch(RecordedRequest recorded) {
    if (!userAgent.equals(recorded.getHeader("User-Agent"))) {
      return super.dispatch(recorded);
    }
    Rbac.Request request = Rbac.Request.of(recorded.getMethod(), recorded.getPath());
    requests.add(request);
    if (rbac.allowedBy(request).isEmpty()) {
      denied.add(request);
      return new MockResponse().setResponseCode(403).setBody(Serialization.asJson(Map.of(
          "kind", "Status", "apiVersion", "v1", "status", "Failure", "reason", "Forbidden", "code", 403,
          "message", "User \"" + user + "\" cannot " + request)));
    }
    if (conflicts.stream().anyMatch(c -> c.test(request) && conflicts.remove(c))) {
      return new MockResponse().setResponseCode(409).setBody(Serialization.asJson(Map.of(
          "kind", "Status", "apiVersion", "v1", "status", "Failure", "reason", "Conflict", "code", 409,
          "message", "the object has been modified; please apply your changes to the latest version and try again")));
    }
    if ("authorization.k8s.io".equals(request.apiGroup()) && "selfsubjectrulesreviews".equals(request.resource())) {
      return rulesReview(Serialization.unmarshal(recorded.getUtf8Body(), SelfSubjectRulesReview.class));
    }
    return super.dispatch(recorded);
  }

  private MockResponse rulesReview(SelfSubjectRulesReview review) {
    review.setStatus(new SubjectRulesReviewStatusBuilder()
        .withIncomplete(false)
        .withResourceRules(rbac.rulesIn(review.getSpec().getNamespace()).stream()
            .map(r -> new ResourceRuleBuilder().withApiGroups(r.apiGroups()).withResources(r.resources())
                .withVerbs(r.verbs()).withResourceNames(r.resourceNames()).build())
            .toList())
        .build());
    return new MockResponse().setResponseCode(201).setBody(Serialization.asJson(review));
  }

  /** The next allowed request of the client that matches is refused with 409, as after a concurrent write. */
  public void conflictOnce(Predicate<Rbac.Request> request) {
    conflicts.add(request);
  }

  /** Every request of the client, in order. */
  public List<Rbac.Request> requests() {
    return List.copyOf(requests);
  }

  /** The requests refused with 403. */
  public List<Rbac.Request> denied() {
    return List.copyOf(denied);
  }
}
