package dev.cloudrun.egress.gcp.fake;

import com.google.cloud.run.v2.Execution;
import com.google.cloud.run.v2.Job;
import com.google.cloud.run.v2.Task;

/**
 * Decides how a task attempt ends. Called once per attempt when its simulated time is over, with
 * the job, the execution, the task ({@code task.getIndex()}, {@code task.getRetried()}) and a read
 * view of the fake, e.g. to fail when the job's connector is missing or has no NAT. A non-zero exit
 * code is retried while the task has retries left.
 */
@FunctionalInterface
public interface TaskBehaviour {
  TaskBehaviour SUCCEED = (job, execution, task, state) -> 0;

  int exitCode(Job job, Execution execution, Task task, GcpState state);
}
