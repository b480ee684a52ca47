"""moto_sagemaker - moto's SageMaker made to behave as AWS documents it,
where the integration tests depend on it.

moto answers every SageMaker call at once with the final status, lacks
UpdateEndpoint and UpdateNotebookInstance, and lets a create overwrite an
object of the same name. This module patches moto's SageMaker backend and
response classes in place (install(), before the server serves), so that:

  - endpoints and notebook instances pass through their intermediate
    states (Creating, Updating, Deleting; Pending, Stopping, Updating,
    Deleting) for `control.polls` Describe answers before they reach the
    next state, and each can be told to end Failed with a reason, or to
    stay in its intermediate state until released;
  - UpdateEndpoint, UpdateNotebookInstance, Start/Stop/DeleteNotebookInstance
    and DeleteEndpoint check the status as AWS does and go through the
    same states;
  - CreateModel, CreateEndpointConfig and CreateEndpoint refuse a name in
    use, and the tag calls answer a ValidationException (not a 500) for an
    ARN that names nothing;
  - training jobs run: InProgress through the secondary statuses Starting,
    Downloading, Training and Uploading (each for the polls), then
    Completed with their artifacts written to S3 (or Failed when told to),
    and StopTrainingJob stops a running one;
  - ListModels pages by MaxResults and NextToken, as AWS does (moto
    answered every model in one page);
  - tuning jobs run their training jobs (at most the parallel limit at
    once), with values drawn from the ranges and an objective computed by
    `control.objective`, and report the real best; they can be stopped,
    and their training jobs listed.

docs/testing.md ("Emulator extensions") lists each change with the AWS
behaviour it stands for. Tests steer and observe it through `control`, a
plain object in this process (moto runs in-process, see emulator.py):

    import moto_sagemaker
    ctl = moto_sagemaker.control
    ctl.polls = 3                                  # Describe answers per state
    ctl.fail("endpoint", "dogs", "out of capacity")  # next transition ends Failed
    ctl.fail("training", "*", "AlgorithmError: NaN")  # jobs fail while Training
    ctl.hold("endpoint", "dogs", during="Creating")  # ... or never ends
    ctl.release("endpoint", "dogs")                  # drop the rules for it
    ctl.history("endpoint", "dogs")   # ["Creating", "InService", ...]
    ctl.describes("endpoint", "dogs") # status of every DescribeEndpoint answer

moto's own reset (POST /moto-api/reset) also resets `control`. Only
DescribeEndpoint and DescribeNotebookInstance move an object on: the
List calls show the status it is in.
"""

import fnmatch
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from moto.core.utils import utcnow
from moto.moto_api._internal.models import MotoAPIBackend
from moto.sagemaker import models as sm_models
from moto.sagemaker import responses as sm_responses
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.utils import arn_formatter

ENDPOINT = "endpoint"
NOTEBOOK = "notebook"
TRAINING = "training"
KINDS = (ENDPOINT, NOTEBOOK, TRAINING)

# A training job's secondary statuses on its way to Completed.
TRAINING_PHASES = ("Starting", "Downloading", "Training", "Uploading")

DEFAULT_POLLS = 2

# Endpoint states in which AWS refuses an update or a delete.
ENDPOINT_IN_PROGRESS = ("Creating", "Updating", "SystemUpdating",
                        "RollingBack", "Deleting")

# One lock for the extension's and the patched backend's state: moto's
# server answers requests on many threads.
LOCK = threading.RLock()

GONE = "(gone)"


@dataclass
class _Rule:
    kind: str
    pattern: str
    action: str            # "fail" or "hold"
    during: tuple          # intermediate statuses it applies to; () = all
    reason: str = ""

    def matches(self, kind, name, status):
        return (kind == self.kind and fnmatch.fnmatchcase(name, self.pattern)
                and (not self.during or status in self.during))


@dataclass
class _Transition:
    """An object in an intermediate status on its way to the next one."""

    kind: str
    name: str
    obj: Any
    status: str                  # "Creating"
    remaining: int               # Describe answers left in this status
    done: Callable               # done(obj): reach the next status
    failed: Callable             # failed(obj, reason): end Failed
    started: Any = field(default_factory=utcnow)


class Control:
    """What a test sets and reads. Every method is thread-safe."""

    def __init__(self):
        self.reset()

    def reset(self):
        """Back to the defaults: no rules, nothing recorded."""
        with LOCK:
            self.polls = DEFAULT_POLLS
            self.objective = None  # fn(tuned hyperparameters) -> value
            self.tuning_peak = {}  # tuning job -> most children at once
            self._rules = []
            self._history = []     # (kind, name, status)
            self._describes = []   # (kind, name, status or GONE)

    # -- steering ------------------------------------------------------------

    def fail(self, kind, name, reason, during=None):
        """Make the transitions of kind/name (a glob) end Failed with
        FailureReason reason, until release(). during: the intermediate
        status(es) it applies to (default: every one but Deleting). A
        failed endpoint update is rolled back, as SageMaker does: the
        endpoint is InService on its old config, with the reason."""
        self._add(kind, name, "fail", during, reason)

    def hold(self, kind, name, during=None):
        """Keep kind/name (a glob) in its intermediate status (during: which
        ones; default all) until release()."""
        self._add(kind, name, "hold", during, "")

    def release(self, kind=None, name=None):
        """Drop the rules for kind/name (None: every kind / name)."""
        with LOCK:
            self._rules = [r for r in self._rules
                           if not ((kind is None or r.kind == kind)
                                   and (name is None or r.pattern == name))]

    def scale(self, endpoint, variant, count):
        """Set a variant's desired and current instance count, as auto
        scaling does when it scales out."""
        from moto.sagemaker.models import sagemaker_backends
        with LOCK:
            for regions in sagemaker_backends.values():
                for backend in regions.values():
                    ep = backend.endpoints.get(endpoint)
                    for v in (ep.production_variants if ep else []):
                        if v["VariantName"] == variant:
                            v["DesiredInstanceCount"] = count
                            v["CurrentInstanceCount"] = count

    # -- records -------------------------------------------------------------

    def history(self, kind, name):
        """Every status kind/name has been in, in order (GONE at the end
        once deleted). A status set twice in a row is listed once."""
        with LOCK:
            return [s for k, n, s in self._history if k == kind and n == name]

    def describes(self, kind, name):
        """The status in each Describe answer for kind/name, in order (GONE
        when it answered "not found")."""
        with LOCK:
            return [s for k, n, s in self._describes
                    if k == kind and n == name]

    # -- used by the patches -------------------------------------------------

    def _add(self, kind, name, action, during, reason):
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if during is None:
            during = () if action == "hold" else (
                "Creating", "Updating", "Pending", "Stopping", "Training")
        elif isinstance(during, str):
            during = (during,)
        with LOCK:
            self._rules.append(_Rule(kind, name, action, tuple(during),
                                     reason))

    def _rule(self, kind, name, status, action):
        for r in self._rules:
            if r.action == action and r.matches(kind, name, status):
                return r
        return None

    def _record_status(self, kind, name, status):
        last = self.history(kind, name)
        if not last or last[-1] != status:
            self._history.append((kind, name, status))

    def _record_describe(self, kind, name, status):
        self._describes.append((kind, name, status))


control = Control()


# -- transitions, kept on the backend (moto's reset drops them) --------------

def _transitions(backend):
    t = backend.__dict__.get("_mlstack_transitions")
    if t is None:
        t = backend.__dict__["_mlstack_transitions"] = {}
    return t


def _status_of(kind, obj):
    if kind == TRAINING:
        return obj.secondary_status
    return obj.endpoint_status if kind == ENDPOINT else obj.status


def _set_status(kind, obj, name, status):
    if kind == ENDPOINT:
        obj.endpoint_status = status
    elif kind == TRAINING:
        _set_training(obj, status)
    else:
        obj.status = status
    obj.last_modified_time = utcnow()
    control._record_status(kind, name, status)


def _begin(backend, kind, name, obj, status, done, failed):
    """Put obj in status until control.polls Describe answers have shown it."""
    _set_status(kind, obj, name, status)
    _transitions(backend)[(kind, name)] = _Transition(
        kind, name, obj, status, control.polls, done, failed)


def _advance(backend, kind, name):
    """Called before each Describe of kind/name: count the answer, and
    finish the transition when its answers are used up."""
    t = _transitions(backend).get((kind, name))
    if t is None:
        return
    if control._rule(kind, name, t.status, "hold"):
        return
    if t.remaining > 0:
        t.remaining -= 1
        return
    del _transitions(backend)[(kind, name)]
    rule = control._rule(kind, name, t.status, "fail")
    if rule:
        t.failed(t.obj, rule.reason)
    else:
        t.done(t.obj)


# -- endpoints ---------------------------------------------------------------

def _endpoint(backend, name):
    ep = backend.endpoints.get(name)
    if ep is None:
        arn = arn_formatter("endpoint", name, backend.account_id,
                            backend.region_name)
        raise ValidationError(message=f'Could not find endpoint "{arn}".')
    return ep


def _endpoint_failed(backend, name):
    def failed(ep, reason):
        ep.failure_reason = reason
        _set_status(ENDPOINT, ep, name, "Failed")
    return failed


def _endpoint_in_service(name):
    def done(ep):
        ep.failure_reason = None
        _set_status(ENDPOINT, ep, name, "InService")
    return done


orig_create_model = sm_models.SageMakerModelBackend.create_model
orig_create_endpoint_config = \
    sm_models.SageMakerModelBackend.create_endpoint_config
orig_create_endpoint = sm_models.SageMakerModelBackend.create_endpoint


def create_model(self, model_name, *args, **kwargs):
    with LOCK:
        if model_name in self._models:
            arn = self._models[model_name].arn
            raise ValidationError(
                message=f'Cannot create already existing model "{arn}".')
        return orig_create_model(self, model_name, *args, **kwargs)


def create_endpoint_config(self, endpoint_config_name, *args, **kwargs):
    with LOCK:
        if endpoint_config_name in self.endpoint_configs:
            arn = self.endpoint_configs[endpoint_config_name] \
                .endpoint_config_arn
            raise ValidationError(
                message="Cannot create already existing endpoint "
                        f'configuration "{arn}".')
        return orig_create_endpoint_config(self, endpoint_config_name,
                                           *args, **kwargs)


def create_endpoint(self, endpoint_name, endpoint_config_name, tags):
    with LOCK:
        if endpoint_name in self.endpoints:
            arn = self.endpoints[endpoint_name].arn
            raise ValidationError(
                message=f'Cannot create already existing endpoint "{arn}".')
        ep = orig_create_endpoint(self, endpoint_name, endpoint_config_name,
                                  tags)
        _begin(self, ENDPOINT, endpoint_name, ep, "Creating",
               _endpoint_in_service(endpoint_name),
               _endpoint_failed(self, endpoint_name))
        return ep


def _scaling_variants(backend, endpoint_name):
    """The variants of an endpoint registered with Application Auto
    Scaling (moto_autoscaling keeps its targets in moto's backend)."""
    from moto.applicationautoscaling.models import \
        applicationautoscaling_backends
    aas = applicationautoscaling_backends[backend.account_id][
        backend.region_name]
    prefix = f"endpoint/{endpoint_name}/variant/"
    return sorted(rid[len(prefix):] for targets in aas.targets.values()
                  for rid in targets if rid.startswith(prefix))


def _refuse_scaling_variants(backend, ep, config):
    """UpdateEndpoint may not remove a variant that scales, nor change its
    instance type (SageMaker: "Update endpoints that use auto scaling")."""
    old_types = {}
    try:
        old_cfg = backend.describe_endpoint_config(ep.endpoint_config_name)
        old_types = {v["VariantName"]: v.get("InstanceType")
                     for v in old_cfg["ProductionVariants"]}
    except Exception:
        pass
    new_types = {v["VariantName"]: v.get("InstanceType")
                 for v in config["ProductionVariants"]}
    bad = [v for v in _scaling_variants(backend, ep.endpoint_name)
           if v not in new_types or new_types[v] != old_types.get(v)]
    if bad:
        raise ValidationError(
            message=f"The variant(s) \"{bad}\" must be deregistered as "
                    f"scalable targets with AWS Application Auto Scaling "
                    f"before they can be removed or have their instance "
                    f"type updated.")


def update_endpoint(self, endpoint_name, endpoint_config_name,
                    retain_all_variant_properties=False):
    """UpdateEndpoint: from InService only; Updating until the new config
    is deployed (DescribeEndpoint shows the old config meanwhile, and the
    new one in PendingDeploymentSummary), then InService on it. A failed
    update is rolled back: InService on the old config, with the
    FailureReason."""
    with LOCK:
        ep = _endpoint(self, endpoint_name)
        status = ep.endpoint_status
        if status in ENDPOINT_IN_PROGRESS:
            raise ValidationError(
                message=f'Cannot update in-progress endpoint "{ep.arn}".')
        if status != "InService":
            raise ValidationError(
                message=f'Cannot update endpoint "{ep.arn}" in status '
                        f"{status}: it must be InService.")
        config = self.describe_endpoint_config(endpoint_config_name)
        old_variants = ep.production_variants
        _refuse_scaling_variants(self, ep, config)

        def done(e):
            e.endpoint_config_name = endpoint_config_name
            variants = e._process_production_variants(
                config["ProductionVariants"])
            if retain_all_variant_properties:
                desired = {v["VariantName"]: v for v in old_variants}
                for v in variants:
                    keep = desired.get(v["VariantName"], {})
                    for key in ("CurrentInstanceCount",
                                "DesiredInstanceCount", "CurrentWeight",
                                "DesiredWeight"):
                        if key in keep:
                            v[key] = keep[key]
            e.production_variants = variants
            e.data_capture_config = config.get("DataCaptureConfig")
            e._mlstack_pending = None
            e.failure_reason = None
            _set_status(ENDPOINT, e, endpoint_name, "InService")

        def rolled_back(e, reason):
            e._mlstack_pending = None
            e.failure_reason = reason
            _set_status(ENDPOINT, e, endpoint_name, "InService")

        ep._mlstack_pending = {"EndpointConfigName": endpoint_config_name,
                               "StartTime": utcnow()}
        _begin(self, ENDPOINT, endpoint_name, ep, "Updating", done,
               rolled_back)
        return ep.arn


def delete_endpoint(self, endpoint_name):
    """DeleteEndpoint: refused while an operation is in progress; Deleting
    until the polls are used up, then gone."""
    with LOCK:
        ep = _endpoint(self, endpoint_name)
        if ep.endpoint_status in ENDPOINT_IN_PROGRESS:
            raise ValidationError(
                message=f'Cannot update in-progress endpoint "{ep.arn}".')
        scaling = _scaling_variants(self, endpoint_name)
        if scaling:
            raise ValidationError(
                message=f"The endpoint's variant(s) \"{scaling}\" are "
                        f"registered as scalable targets with AWS "
                        f"Application Auto Scaling: deregister them before "
                        f"deleting the endpoint.")

        def gone(e):
            if self.endpoints.get(endpoint_name) is e:
                del self.endpoints[endpoint_name]
            control._record_status(ENDPOINT, endpoint_name, GONE)

        _begin(self, ENDPOINT, endpoint_name, ep, "Deleting", gone,
               _endpoint_failed(self, endpoint_name))


# -- notebook instances ------------------------------------------------------

def _notebook(backend, name):
    return backend.get_notebook_instance(name)   # ValidationException


def _check_notebook(nb, allowed, target):
    if nb.status not in allowed:
        raise ValidationError(
            message=f"Status ({nb.status}) not in ([{', '.join(allowed)}]). "
                    f"Unable to transition to ({target}) for Notebook "
                    f"Instance ({nb.arn}).")


def _notebook_to(name, status):
    def done(nb):
        nb.failure_reason = None
        _set_status(NOTEBOOK, nb, name, status)
    return done


def _notebook_failed(name):
    def failed(nb, reason):
        nb.failure_reason = reason
        _set_status(NOTEBOOK, nb, name, "Failed")
    return failed


orig_create_notebook = sm_models.SageMakerModelBackend.create_notebook_instance
orig_notebook_to_dict = sm_models.FakeSagemakerNotebookInstance.to_dict


def create_notebook_instance(self, notebook_instance_name, *args, **kwargs):
    with LOCK:
        nb = orig_create_notebook(self, notebook_instance_name, *args,
                                  **kwargs)
        nb.failure_reason = None
        _begin(self, NOTEBOOK, notebook_instance_name, nb, "Pending",
               _notebook_to(notebook_instance_name, "InService"),
               _notebook_failed(notebook_instance_name))
        return nb


def start_notebook_instance(self, notebook_instance_name):
    with LOCK:
        nb = _notebook(self, notebook_instance_name)
        _check_notebook(nb, ("Stopped", "Failed"), "Pending")
        nb.failure_reason = None
        _begin(self, NOTEBOOK, notebook_instance_name, nb, "Pending",
               _notebook_to(notebook_instance_name, "InService"),
               _notebook_failed(notebook_instance_name))


def stop_notebook_instance(self, notebook_instance_name):
    with LOCK:
        nb = _notebook(self, notebook_instance_name)
        _check_notebook(nb, ("InService",), "Stopping")
        _begin(self, NOTEBOOK, notebook_instance_name, nb, "Stopping",
               _notebook_to(notebook_instance_name, "Stopped"),
               _notebook_failed(notebook_instance_name))


def delete_notebook_instance(self, notebook_instance_name):
    with LOCK:
        nb = _notebook(self, notebook_instance_name)
        _check_notebook(nb, ("Stopped", "Failed"), "Deleting")

        def gone(n):
            if self.notebook_instances.get(notebook_instance_name) is n:
                del self.notebook_instances[notebook_instance_name]
            control._record_status(NOTEBOOK, notebook_instance_name, GONE)

        _begin(self, NOTEBOOK, notebook_instance_name, nb, "Deleting", gone,
               _notebook_failed(notebook_instance_name))


# UpdateNotebookInstance members and the notebook attribute each sets.
NOTEBOOK_UPDATES = {
    "InstanceType": "instance_type",
    "RoleArn": "role_arn",
    "LifecycleConfigName": "lifecycle_config_name",
    "VolumeSizeInGB": "volume_size_in_gb",
    "DefaultCodeRepository": "default_code_repository",
    "AdditionalCodeRepositories": "additional_code_repositories",
    "AcceleratorTypes": "accelerator_types",
    "RootAccess": "root_access",
}
NOTEBOOK_DISASSOCIATE = {
    "DisassociateLifecycleConfig": "lifecycle_config_name",
    "DisassociateDefaultCodeRepository": "default_code_repository",
    "DisassociateAdditionalCodeRepositories": "additional_code_repositories",
    "DisassociateAcceleratorTypes": "accelerator_types",
}


def update_notebook_instance(self, notebook_instance_name, params):
    """UpdateNotebookInstance: only while Stopped; Updating until the polls
    are used up, then Stopped with the new settings."""
    with LOCK:
        nb = _notebook(self, notebook_instance_name)
        _check_notebook(nb, ("Stopped",), "Updating")
        changes = {}
        for member, attr in NOTEBOOK_UPDATES.items():
            if params.get(member) is not None:
                changes[attr] = params[member]
        for member, attr in NOTEBOOK_DISASSOCIATE.items():
            if params.get(member):
                if attr in changes:
                    raise ValidationError(
                        message=f"{member} cannot be set together with the "
                                f"value it disassociates.")
                changes[attr] = None
        if "instance_type" in changes:
            nb.validate_instance_type(changes["instance_type"])
        size = changes.get("volume_size_in_gb")
        if size is not None:
            nb.validate_volume_size_in_gb(size)
            if size < (nb.volume_size_in_gb or 5):
                raise ValidationError(
                    message="Invalid value for VolumeSizeInGB: the volume "
                            f"of Notebook Instance ({nb.arn}) can be "
                            f"increased but not decreased (from "
                            f"{nb.volume_size_in_gb} to {size}).")
        lcc = changes.get("lifecycle_config_name")
        if lcc and lcc not in self.notebook_instance_lifecycle_configurations:
            raise ValidationError(
                message=f"Unable to describe Notebook Instance Lifecycle "
                        f"Config '{lcc}'. (Details: Notebook Instance "
                        f"Lifecycle Config does not exist.)")

        def done(n):
            for attr, value in changes.items():
                setattr(n, attr, value)
            n.failure_reason = None
            _set_status(NOTEBOOK, n, notebook_instance_name, "Stopped")

        _begin(self, NOTEBOOK, notebook_instance_name, nb, "Updating", done,
               _notebook_failed(notebook_instance_name))


def notebook_to_dict(self):
    d = orig_notebook_to_dict(self)
    reason = getattr(self, "failure_reason", None)
    if reason:
        d["FailureReason"] = reason
    return d


# -- training jobs -------------------------------------------------------------

# TrainingJobStatus for each secondary status
TRAINING_STATUS = {"Completed": "Completed", "Failed": "Failed",
                   "Stopping": "Stopping", "Stopped": "Stopped"}


def _set_training(job, secondary):
    """SecondaryStatus and the TrainingJobStatus it implies, with the
    transition recorded as DescribeTrainingJob lists them."""
    now = utcnow()
    for t in job.secondary_status_transitions:
        t.setdefault("EndTime", now)
    job.secondary_status_transitions.append(
        {"Status": secondary, "StartTime": now,
         "StatusMessage": f"{secondary} (emulated)"})
    job.secondary_status = secondary
    job.training_job_status = TRAINING_STATUS.get(secondary, "InProgress")


def _artifacts(job):
    return job.model_artifacts["S3ModelArtifacts"]


def _training_done(backend, name):
    """Completed: the artifacts are written where SageMaker writes them,
    <output path>/<job>/output/model.tar.gz; a bucket that is not there
    fails the job, as it does on AWS."""
    def done(job):
        from moto.s3.models import s3_backends
        bucket, _, key = _artifacts(job)[len("s3://"):].partition("/")
        s3 = s3_backends[backend.account_id]["global"]
        try:
            s3.get_bucket(bucket)
        except Exception:
            _training_failed(name)(
                job, f"ClientError: the output bucket {bucket} does not "
                     f"exist")
            return
        s3.put_object(bucket, key, f"model of {name}".encode())
        job.failure_reason = None
        job.training_end_time = utcnow()
        job.training_time_in_seconds = 60 * len(TRAINING_PHASES)
        # wall-clock seconds, as AWS gives them: billed on each instance
        # (DescribeTrainingJob: "Multiply BillableTimeInSeconds by the
        # number of instances ... to get the total compute time")
        job.billable_time_in_seconds = job.training_time_in_seconds
        job.final_metric_data_list = [
            {"MetricName": m["Name"], "Value": 0.5,
             "Timestamp": job.training_end_time}
            for m in job.algorithm_specification.get("MetricDefinitions",
                                                     [])]
        _set_status(TRAINING, job, name, "Completed")
    return done


def _training_failed(name):
    def failed(job, reason):
        job.failure_reason = reason
        _set_status(TRAINING, job, name, "Failed")
    return failed


def _training_phase(backend, name, job, i):
    """Secondary status TRAINING_PHASES[i] for the polls, then the next."""
    def done(j):
        if i + 1 < len(TRAINING_PHASES):
            _training_phase(backend, name, j, i + 1)
        else:
            _training_done(backend, name)(j)
    _begin(backend, TRAINING, name, job, TRAINING_PHASES[i], done,
           _training_failed(name))


orig_create_training_job = sm_models.SageMakerModelBackend.create_training_job


def create_training_job(self, training_job_name, *args, **kwargs):
    """InProgress through the secondary statuses (moto: Completed at once),
    the metric definitions kept as given (moto replaces them), a name in
    use refused."""
    with LOCK:
        if training_job_name in self.training_jobs:
            arn = self.training_jobs[training_job_name].arn
            raise ValidationError(
                message=f"Training job names must be unique within an AWS "
                        f"account and region, and a training job with this "
                        f"name already exists ({arn})")
        spec = kwargs.get("algorithm_specification") or {}
        metrics = list(spec.get("MetricDefinitions") or [])
        job = orig_create_training_job(self, training_job_name, *args,
                                       **kwargs)
        if metrics:
            job.algorithm_specification["MetricDefinitions"] = metrics
        else:
            job.algorithm_specification.pop("MetricDefinitions", None)
        job.secondary_status_transitions = []
        job.final_metric_data_list = None
        job.training_end_time = None
        job.failure_reason = None
        _training_phase(self, training_job_name, job, 0)
        return job


def stop_training_job(self, training_job_name):
    with LOCK:
        job = self.training_jobs.get(training_job_name)
        if job is None:
            arn = sm_models.FakeTrainingJob.arn_formatter(
                training_job_name, self.account_id, self.region_name)
            raise ValidationError(
                message=f"Could not find training job '{arn}'.")
        if job.training_job_status != "InProgress":
            raise ValidationError(
                message=f"The request was rejected because the training job "
                        f"is in status {job.training_job_status}.")

        def stopped(j):
            _set_status(TRAINING, j, training_job_name, "Stopped")

        _begin(self, TRAINING, training_job_name, job, "Stopping", stopped,
               _training_failed(training_job_name))


# -- tuning jobs ---------------------------------------------------------------

def _tuning(backend):
    t = backend.__dict__.get("_mlstack_tuning")
    if t is None:
        t = backend.__dict__["_mlstack_tuning"] = {}
    return t


def _drawn(ranges, i):
    """The hyperparameters of child i: drawn from each range by a fixed
    rule, so that a test knows them (integer: lo + 7i mod the span;
    continuous: lo + the span times the fraction of 0.618i; categorical:
    the values in turn)."""
    hp = {}
    for r in ranges.get("IntegerParameterRanges") or []:
        lo, hi = int(r["MinValue"]), int(r["MaxValue"])
        hp[r["Name"]] = str(lo + (7 * i) % (hi - lo + 1))
    for r in ranges.get("ContinuousParameterRanges") or []:
        lo, hi = float(r["MinValue"]), float(r["MaxValue"])
        hp[r["Name"]] = f"{lo + (hi - lo) * ((0.618034 * i) % 1):.6g}"
    for r in ranges.get("CategoricalParameterRanges") or []:
        hp[r["Name"]] = r["Values"][i % len(r["Values"])]
    return hp


def _default_objective(hp):
    """A deterministic objective of the tuned values."""
    total = 0.0
    for v in hp.values():
        try:
            total += float(v)
        except ValueError:
            total += len(v)
    return round((total * 0.37) % 1, 6)


def _start_child(backend, name, job, i):
    import copy
    import hashlib
    cfg = job.hyper_parameter_tuning_job_config
    d = job.training_job_definition
    tuned = _drawn(cfg.get("ParameterRanges") or {}, i)
    digest = hashlib.sha256(f"{name}/{i}".encode()).hexdigest()[:8]
    child = f"{name}-{i + 1:03d}-{digest}"
    spec = copy.deepcopy(d["AlgorithmSpecification"])
    backend.create_training_job(
        child,
        hyper_parameters={**(d.get("StaticHyperParameters") or {}), **tuned},
        algorithm_specification=spec, role_arn=d["RoleArn"],
        input_data_config=copy.deepcopy(d.get("InputDataConfig") or []),
        output_data_config=copy.deepcopy(d["OutputDataConfig"]),
        resource_config=copy.deepcopy(d["ResourceConfig"]), vpc_config=None,
        stopping_condition=copy.deepcopy(d.get("StoppingCondition") or {}),
        tags=None, enable_network_isolation=False,
        enable_inter_container_traffic_encryption=False,
        enable_managed_spot_training=False, checkpoint_config=None,
        debug_hook_config=None, debug_rule_configurations=None,
        tensor_board_output_config=None, experiment_config=None)
    return {"name": child, "tuned": tuned, "objective": None}


def _tuning_step(backend, name):
    """What a DescribeHyperParameterTuningJob sees: running children move
    on (as if described), finished ones get their objective, new ones start
    up to the parallel limit, and the job ends when all have run."""
    t = _tuning(backend).get(name)
    job = backend.hyper_parameter_tuning_jobs.get(name)
    if t is None or job is None or job.hyper_parameter_tuning_job_status \
            not in ("InProgress", "Stopping"):
        return
    cfg = job.hyper_parameter_tuning_job_config
    objective = cfg["HyperParameterTuningJobObjective"]
    for c in t["children"]:
        tj = backend.training_jobs[c["name"]]
        if tj.training_job_status in ("InProgress", "Stopping"):
            _advance(backend, TRAINING, c["name"])
        if tj.training_job_status == "Completed" and c["objective"] is None:
            fn = control.objective or _default_objective
            c["objective"] = float(fn(c["tuned"]))
            tj.final_metric_data_list = [
                {"MetricName": objective["MetricName"],
                 "Value": c["objective"], "Timestamp": utcnow()}]
    status = {c["name"]: backend.training_jobs[c["name"]].training_job_status
              for c in t["children"]}
    running = [n for n, s in status.items() if s in ("InProgress",
                                                     "Stopping")]
    limits = cfg["ResourceLimits"]
    if job.hyper_parameter_tuning_job_status == "InProgress":
        while len(t["children"]) < limits["MaxNumberOfTrainingJobs"] and \
                len(running) < limits["MaxParallelTrainingJobs"]:
            c = _start_child(backend, name, job, len(t["children"]))
            t["children"].append(c)
            running.append(c["name"])
            status[c["name"]] = "InProgress"
    control.tuning_peak[name] = max(control.tuning_peak.get(name, 0),
                                    len(running))
    done = [c for c in t["children"] if c["objective"] is not None]
    count = lambda s: sum(1 for v in status.values() if v == s)  # noqa: E731
    job.training_job_status_counters = {
        "Completed": count("Completed"), "InProgress": len(running),
        "RetryableError": 0, "NonRetryableError": count("Failed"),
        "Stopped": count("Stopped")}
    job.objective_status_counters = {
        "Succeeded": len(done), "Pending": len(running),
        "Failed": count("Failed") + count("Stopped")}
    if done:
        better = max if objective["Type"] == "Maximize" else min
        best = better(done, key=lambda c: c["objective"])
        tj = backend.training_jobs[best["name"]]
        job.best_training_job = {
            "TrainingJobName": best["name"], "TrainingJobArn": tj.arn,
            "CreationTime": tj.creation_time,
            "TrainingJobStatus": "Completed",
            "TunedHyperParameters": dict(best["tuned"]),
            "FinalHyperParameterTuningJobObjectiveMetric": {
                "Type": objective["Type"],
                "MetricName": objective["MetricName"],
                "Value": best["objective"]},
            "ObjectiveStatus": "Succeeded"}
        job.OverallBestTrainingJob = job.best_training_job
    if running:
        return
    if job.hyper_parameter_tuning_job_status == "Stopping":
        job.hyper_parameter_tuning_job_status = "Stopped"
    elif len(t["children"]) >= limits["MaxNumberOfTrainingJobs"]:
        if done:
            job.hyper_parameter_tuning_job_status = "Completed"
        else:
            job.hyper_parameter_tuning_job_status = "Failed"
            job.failure_reason = "All training jobs failed."
    job.hyper_parameter_tuning_end_time = utcnow()


orig_create_tuning_job = \
    sm_models.SageMakerModelBackend.create_hyper_parameter_tuning_job


def create_hyper_parameter_tuning_job(self, hyper_parameter_tuning_job_name,
                                      *args, **kwargs):
    """InProgress, running its training jobs (moto: Completed at once with
    a stub as the best job)."""
    name = hyper_parameter_tuning_job_name
    with LOCK:
        arn = orig_create_tuning_job(self, name, *args, **kwargs)
        job = self.hyper_parameter_tuning_jobs[name]
        job.hyper_parameter_tuning_job_status = "InProgress"
        job.hyper_parameter_tuning_end_time = None
        job.best_training_job = None
        job.OverallBestTrainingJob = None
        job.failure_reason = None
        job.tuning_job_completion_details = None
        job.consumed_resources = None
        _tuning(self)[name] = {"children": []}
        _tuning_step(self, name)
        return arn


def stop_hyper_parameter_tuning_job(self, hyper_parameter_tuning_job_name):
    name = hyper_parameter_tuning_job_name
    with LOCK:
        job = self.hyper_parameter_tuning_jobs.get(name)
        if job is None:
            raise sm_models.ResourceNotFound(
                message=f"Could not find hyper parameter tuning job "
                        f"'{name}'.")
        if job.hyper_parameter_tuning_job_status != "InProgress":
            raise ValidationError(
                message=f"The request was rejected because the tuning job "
                        f"is in status {job.hyper_parameter_tuning_job_status}.")
        job.hyper_parameter_tuning_job_status = "Stopping"
        for c in _tuning(self).get(name, {}).get("children", []):
            if self.training_jobs[c["name"]].training_job_status == \
                    "InProgress":
                stop_training_job(self, c["name"])


# -- tags ----------------------------------------------------------------------

def _tagged(backend, arn):
    """The object arn names, or a ValidationException (moto answers 500)."""
    try:
        resource = backend._get_resource_from_arn(arn)
    except (ValueError, AttributeError, IndexError):
        resource = None
    if resource is None:
        raise ValidationError(message=f"Could not find resource {arn}.")
    return resource


orig_list_tags = sm_models.SageMakerModelBackend.list_tags
orig_delete_tags = sm_models.SageMakerModelBackend.delete_tags


def list_tags(self, arn, *args, **kwargs):
    with LOCK:
        _tagged(self, arn)
        return orig_list_tags(self, arn, *args, **kwargs)


def add_tags(self, arn, tags):
    """AddTags overwrites the value of a key already there (moto appends a
    second tag with the same key)."""
    with LOCK:
        resource = _tagged(self, arn)
        new = {t["Key"]: t for t in tags}
        resource.tags = [t for t in resource.tags if t["Key"] not in new]
        resource.tags.extend(new.values())
        return resource.tags


def delete_tags(self, arn, tag_keys):
    with LOCK:
        _tagged(self, arn)
        return orig_delete_tags(self, arn, tag_keys)


# -- responses -----------------------------------------------------------------

R = sm_responses.SageMakerResponse
orig_describe_endpoint = R.describe_endpoint
orig_describe_notebook = R.describe_notebook_instance
orig_describe_training_job = R.describe_training_job
orig_describe_tuning_job = R.describe_hyper_parameter_tuning_job


def r_describe_endpoint(self):
    name = self._get_param("EndpointName")
    backend = self.sagemaker_backend
    with LOCK:
        _advance(backend, ENDPOINT, name)
        ep = backend.endpoints.get(name)
        control._record_describe(ENDPOINT, name,
                                 ep.endpoint_status if ep else GONE)
        if ep is None:
            _endpoint(backend, name)   # raises the not-found error
        answer = dict(backend.describe_endpoint(name))
        pending = getattr(ep, "_mlstack_pending", None)
        answer.pop("MlstackPending", None)
        if pending:
            answer["PendingDeploymentSummary"] = dict(pending)
    return sm_responses.ActionResult(answer)


def r_describe_notebook_instance(self):
    name = self._get_param("NotebookInstanceName")
    backend = self.sagemaker_backend
    with LOCK:
        _advance(backend, NOTEBOOK, name)
        nb = backend.notebook_instances.get(name)
        control._record_describe(NOTEBOOK, name, nb.status if nb else GONE)
        return orig_describe_notebook(self)


def r_describe_training_job(self):
    name = self._get_param("TrainingJobName")
    backend = self.sagemaker_backend
    with LOCK:
        _advance(backend, TRAINING, name)
        job = backend.training_jobs.get(name)
        control._record_describe(TRAINING, name,
                                 job.secondary_status if job else GONE)
        env = getattr(job, "_mlstack_environment", None)
        if not env:
            return orig_describe_training_job(self)
        answer = dict(backend.describe_training_job(name))
        answer["Environment"] = dict(env)
    return sm_responses.ActionResult(answer)


orig_r_create_training_job = R.create_training_job


def r_create_training_job(self):
    """The job's Environment kept and described (moto drops it)."""
    result = orig_r_create_training_job(self)
    env = self._get_param("Environment")
    if env:
        with LOCK:
            job = self.sagemaker_backend.training_jobs.get(
                self._get_param("TrainingJobName"))
            if job is not None:
                job._mlstack_environment = dict(env)
    return result


def r_stop_training_job(self):
    self.sagemaker_backend.stop_training_job(
        self._get_param("TrainingJobName"))
    return sm_responses.EmptyResult()


def r_describe_tuning_job(self):
    name = self._get_param("HyperParameterTuningJobName")
    with LOCK:
        _tuning_step(self.sagemaker_backend, name)
        return orig_describe_tuning_job(self)


def r_stop_tuning_job(self):
    self.sagemaker_backend.stop_hyper_parameter_tuning_job(
        self._get_param("HyperParameterTuningJobName"))
    return sm_responses.EmptyResult()


def r_list_training_jobs_for_tuning_job(self):
    """ListTrainingJobsForHyperParameterTuningJob (moto lacks it): the
    children, in the order they started."""
    backend = self.sagemaker_backend
    name = self._get_param("HyperParameterTuningJobName")
    with LOCK:
        if name not in backend.hyper_parameter_tuning_jobs:
            raise sm_models.ResourceNotFound(
                message=f"Could not find hyper parameter tuning job "
                        f"'{name}'.")
        summaries = []
        for c in _tuning(backend).get(name, {}).get("children", []):
            tj = backend.training_jobs[c["name"]]
            s = {"TrainingJobName": c["name"], "TrainingJobArn": tj.arn,
                 "TuningJobName": name, "CreationTime": tj.creation_time,
                 "TrainingJobStatus": tj.training_job_status,
                 "TunedHyperParameters": dict(c["tuned"])}
            if c["objective"] is not None:
                s["FinalHyperParameterTuningJobObjectiveMetric"] = {
                    "MetricName": backend.hyper_parameter_tuning_jobs[name]
                    .hyper_parameter_tuning_job_config[
                        "HyperParameterTuningJobObjective"]["MetricName"],
                    "Value": c["objective"]}
                s["ObjectiveStatus"] = "Succeeded"
            summaries.append(s)
    return sm_responses.ActionResult({"TrainingJobSummaries": summaries})


def r_update_endpoint(self):
    arn = self.sagemaker_backend.update_endpoint(
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
        retain_all_variant_properties=bool(
            self._get_param("RetainAllVariantProperties")),
    )
    return sm_responses.ActionResult({"EndpointArn": arn})


def r_update_notebook_instance(self):
    params = {m: self._get_param(m)
              for m in (*NOTEBOOK_UPDATES, *NOTEBOOK_DISASSOCIATE)}
    self.sagemaker_backend.update_notebook_instance(
        self._get_param("NotebookInstanceName"), params)
    return sm_responses.EmptyResult()


# -- installation --------------------------------------------------------------

_installed = False


def r_list_models(self):
    """ListModels, a page of MaxResults (at most 100) after NextToken."""
    from moto.core.responses import ActionResult
    start = int(self._get_param("NextToken") or 0)
    size = int(self._get_param("MaxResults") or 10)
    models = list(self.sagemaker_backend.list_models())
    page = models[start:start + size]
    result = {"Models": [{"ModelName": m.model_name, "ModelArn": m.arn,
                          "CreationTime": m.creation_time} for m in page]}
    if start + size < len(models):
        result["NextToken"] = str(start + size)
    return ActionResult(result)


def install():
    """Patch moto (idempotent). Call before moto serves a request."""
    global _installed
    with LOCK:
        if _installed:
            return
        B = sm_models.SageMakerModelBackend
        B.create_model = create_model
        B.create_endpoint_config = create_endpoint_config
        B.create_endpoint = create_endpoint
        B.update_endpoint = update_endpoint
        B.delete_endpoint = delete_endpoint
        B.create_notebook_instance = create_notebook_instance
        B.start_notebook_instance = start_notebook_instance
        B.stop_notebook_instance = stop_notebook_instance
        B.update_notebook_instance = update_notebook_instance
        B.delete_notebook_instance = delete_notebook_instance
        B.create_training_job = create_training_job
        B.create_hyper_parameter_tuning_job = \
            create_hyper_parameter_tuning_job
        B.stop_hyper_parameter_tuning_job = stop_hyper_parameter_tuning_job
        B.stop_training_job = stop_training_job
        B.list_tags = list_tags
        B.add_tags = add_tags
        B.delete_tags = delete_tags
        sm_models.FakeSagemakerNotebookInstance.to_dict = notebook_to_dict
        R.list_models = r_list_models
        R.describe_endpoint = r_describe_endpoint
        R.describe_notebook_instance = r_describe_notebook_instance
        R.update_endpoint = r_update_endpoint
        R.update_notebook_instance = r_update_notebook_instance
        R.describe_training_job = r_describe_training_job
        R.create_training_job = r_create_training_job
        R.stop_training_job = r_stop_training_job
        R.describe_hyper_parameter_tuning_job = r_describe_tuning_job
        R.stop_hyper_parameter_tuning_job = r_stop_tuning_job
        R.list_training_jobs_for_hyper_parameter_tuning_job = \
            r_list_training_jobs_for_tuning_job

        orig_reset = MotoAPIBackend.reset

        def reset(self):
            orig_reset(self)
            control.reset()

        MotoAPIBackend.reset = reset
        _installed = True
