# The operator's container image: docker build -t cloudrun-egress-operator .
# It runs `Main operator` (flags and CREJ_* variables: see docs/operating.md) as a non-root user, writes
# nothing to disk (a read-only root filesystem works), and serves /metrics, /healthz and /readyz
# on 8080.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The same build as CI without running the tests: the operator's jar and its runtime classpath in
# operator/core/target/lib. Neither the GCP fake nor local mode is in it (ImageClasspathTest).
RUN mvn -B -q -DskipTests -pl operator/core -am package && rm -f operator/core/target/*-tests.jar

FROM eclipse-temurin:17-jre
COPY --from=build /src/operator/core/target/lib/ /app/lib/
COPY --from=build /src/operator/core/target/cloudrun-egress-operator-*.jar /app/lib/
# numeric, so that runAsNonRoot can check it
USER 65532:65532
EXPOSE 8080
# -XX:-UsePerfData: no hsperfdata file in /tmp, so the root filesystem can be read-only.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-XX:-UsePerfData", \
    "-cp", "/app/lib/*", "dev.cloudrun.egress.app.Main", "operator"]
