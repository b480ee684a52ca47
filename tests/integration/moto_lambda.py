"""moto_lambda - moto's Lambda made to behave as AWS documents it where the
tests depend on it (docs/testing.md, "Emulator extensions"):

  - a new function is `State: Pending` for `control.polls` GetFunction
    answers, then Active; UpdateFunctionCode and
    UpdateFunctionConfiguration leave `LastUpdateStatus: InProgress` for
    the polls, and meanwhile another update or PublishVersion is refused
    with ResourceConflictException, as Lambda refuses them (moto finished
    every update at once);
  - provisioned concurrency (moto has none): Put, Get, Delete and
    ListProvisionedConcurrencyConfigs on a published version or an alias
    (not $LATEST), `Status: IN_PROGRESS` for the polls of
    GetProvisionedConcurrencyConfig, then READY, or FAILED with a
    `StatusReason` when told to: `control.fail("provisioned",
    "<function>:<qualifier>", reason)`;
  - ListFunctions pages by MaxItems and Marker, with a NextMarker while
    more remain (moto answered all at once).

Steered through moto_sagemaker.control (its polls and rules).
"""

import datetime
import json
from urllib.parse import unquote

from moto.awslambda import models as lm
from moto.awslambda import responses as lr
from moto.awslambda import urls as lu
from moto.awslambda.exceptions import (ConflictException,
                                       InvalidParameterValueException,
                                       UnknownFunctionException)
from moto.core.exceptions import JsonRESTError

import moto_sagemaker
from moto_sagemaker import LOCK, control

R = lr.LambdaResponse
B = lm.LambdaBackend
F = lm.LambdaFunction
_installed = False


class Conflict(JsonRESTError):
    code = 409

    def __init__(self, message):
        super().__init__("ResourceConflictException", message)


class ConfigNotFound(JsonRESTError):
    code = 404

    def __init__(self, message):
        super().__init__("ProvisionedConcurrencyConfigNotFoundException",
                         message)


# -- asynchronous creates and updates -----------------------------------------

orig_get_configuration = F.get_configuration


def get_configuration(self, *args, **kwargs):
    config = orig_get_configuration(self, *args, **kwargs)
    if getattr(self, "_mlstack_creating", 0) > 0:
        config["State"] = "Pending"
        config["StateReasonCode"] = "Creating"
    elif getattr(self, "_mlstack_updating", 0) > 0:
        config["LastUpdateStatus"] = "InProgress"
    return config


def _function(backend, name):
    name = unquote(name)
    if name.startswith("arn:"):
        name = name.split(":")[6]
    try:
        return backend.get_function(name)
    except Exception:
        return None


def _busy(fn):
    if getattr(fn, "_mlstack_creating", 0) > 0:
        raise Conflict("The operation cannot be performed at this time. The "
                       "function is currently in the following state: "
                       "Pending")
    if getattr(fn, "_mlstack_updating", 0) > 0:
        raise Conflict("The operation cannot be performed at this time. An "
                       f"update is in progress for resource: "
                       f"{fn.function_arn}")


def _poll(fn):
    """A GetFunction answer moves the function on."""
    with LOCK:
        if getattr(fn, "_mlstack_creating", 0) > 0:
            fn._mlstack_creating -= 1
        elif getattr(fn, "_mlstack_updating", 0) > 0:
            fn._mlstack_updating -= 1


orig_create_function = R.create_function
orig_get_function = R.get_function
orig_get_configuration_r = R.get_function_configuration
orig_update_code = R.update_function_code
orig_update_config = R.update_function_configuration
orig_publish = R.publish_version


def r_create_function(self):
    answer = orig_create_function(self)
    fn = _function(self.backend,
                   self.json_body["FunctionName"].rsplit(":", 1)[-1])
    if fn is not None:
        fn._mlstack_creating = control.polls
        status, headers, body = answer
        body = json.dumps(fn.get_configuration())
        answer = (status, headers, body)
    return answer


def r_get_function(self):
    answer = orig_get_function(self)
    fn = _function(self.backend, self.path.rsplit("/", 1)[-1])
    if fn is not None:
        _poll(fn)
    return answer


def r_get_function_configuration(self):
    answer = orig_get_configuration_r(self)
    fn = _function(self.backend, self.path.rsplit("/", 2)[-2])
    if fn is not None:
        _poll(fn)
    return answer


def _update(orig):
    def patched(self):
        fn = _function(self.backend, self.path.rsplit("/", 2)[-2])
        if fn is not None:
            _busy(fn)
        answer = orig(self)
        if fn is not None:
            fn._mlstack_updating = control.polls
            status, headers, _ = answer
            answer = (status, headers, json.dumps(fn.get_configuration()))
        return answer
    return patched


orig_create_alias = R.create_alias


def r_create_alias(self):
    """An alias name in use: ResourceConflictException (moto: a
    ConflictException), as Lambda answers it."""
    try:
        return orig_create_alias(self)
    except ConflictException as e:
        raise Conflict(getattr(e, "message", str(e))) from None


def r_publish_version(self):
    fn = _function(self.backend, self.path.rsplit("/", 2)[-2])
    if fn is not None:
        _busy(fn)
    return orig_publish(self)


# -- provisioned concurrency --------------------------------------------------

def _configs(backend):
    c = backend.__dict__.get("_mlstack_provisioned")
    if c is None:
        c = backend.__dict__["_mlstack_provisioned"] = {}
    return c


def _target(self):
    name = unquote(self.path.rsplit("/", 2)[-2])
    qualifier = self.querystring.get("Qualifier", [None])[0]
    fn = _function(self.backend, name)
    if fn is None:
        raise UnknownFunctionException(
            f"arn:aws:lambda:{self.region}:{self.current_account}:"
            f"function:{name}")
    return fn, qualifier


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000+0000")


def _answer(cfg):
    out = {"RequestedProvisionedConcurrentExecutions": cfg["requested"],
           "AvailableProvisionedConcurrentExecutions":
               cfg["requested"] if cfg["status"] == "READY" else 0,
           "AllocatedProvisionedConcurrentExecutions":
               cfg["requested"] if cfg["status"] == "READY" else 0,
           "Status": cfg["status"], "LastModified": cfg["modified"]}
    if cfg.get("reason"):
        out["StatusReason"] = cfg["reason"]
    return out


def put_provisioned_concurrency_config(self):
    fn, qualifier = _target(self)
    if not qualifier or qualifier == "$LATEST":
        raise InvalidParameterValueException(
            "Provisioned Concurrency Configs cannot be applied to unpublished "
            "function versions.")
    versions = {str(v.version) for v in
                self.backend.list_versions_by_function(fn.function_name)}
    if qualifier not in versions:
        try:
            self.backend.get_alias(qualifier, fn.function_name)
        except Exception:
            raise UnknownFunctionException(f"{fn.function_arn}:{qualifier}")
    count = int(self.json_body["ProvisionedConcurrentExecutions"])
    with LOCK:
        cfg = {"requested": count, "status": "IN_PROGRESS",
               "polls": control.polls, "modified": _now()}
        _configs(self.backend)[(fn.function_name, qualifier)] = cfg
        return 202, {"status": 202}, json.dumps(_answer(cfg))


def get_provisioned_concurrency_config(self):
    fn, qualifier = _target(self)
    key = f"{fn.function_name}:{qualifier}"
    with LOCK:
        cfg = _configs(self.backend).get((fn.function_name, qualifier))
        if cfg is None:
            raise ConfigNotFound(f"No Provisioned Concurrency Config found "
                                 f"for this function: {key}")
        answer = _answer(cfg)
        if cfg["status"] == "IN_PROGRESS":
            cfg["polls"] -= 1
            if cfg["polls"] <= 0:
                rule = control._rule("provisioned", key, "Creating",
                                     "fail")
                cfg["status"] = "FAILED" if rule else "READY"
                if rule:
                    cfg["reason"] = rule.reason
        return 200, {}, json.dumps(answer)


def delete_provisioned_concurrency_config(self):
    fn, qualifier = _target(self)
    with LOCK:
        if _configs(self.backend).pop((fn.function_name, qualifier),
                                      None) is None:
            raise ConfigNotFound(
                f"No Provisioned Concurrency Config found for this "
                f"function: {fn.function_name}:{qualifier}")
    return 204, {"status": 204}, ""


def list_provisioned_concurrency_configs(self):
    name = unquote(self.path.rsplit("/", 2)[-2])
    fn = _function(self.backend, name)
    out = []
    with LOCK:
        for (fname, qualifier), cfg in _configs(self.backend).items():
            if fn is not None and fname == fn.function_name:
                a = _answer(cfg)
                a["FunctionArn"] = f"{fn.function_arn}:{qualifier}"
                out.append(a)
    return 200, {}, json.dumps({"ProvisionedConcurrencyConfigs": out})


orig_delete_function = B.delete_function


def delete_function(self, function_name, qualifier=None):
    orig_delete_function(self, function_name, qualifier)
    name = unquote(function_name).split(":")[-1] \
        if not function_name.startswith("arn:") else \
        function_name.split(":")[6]
    with LOCK:
        for key in [k for k in _configs(self)
                    if k[0] == name and (qualifier is None or
                                         k[1] == qualifier)]:
            del _configs(self)[key]


orig_list_functions = R.list_functions


def list_functions(self):
    """One page: MaxItems functions (or versions) after the Marker, and
    a NextMarker while more remain, as Lambda pages ListFunctions (moto
    answered all at once)."""
    answer = json.loads(orig_list_functions(self))
    size = int(self.querystring.get("MaxItems", ["50"])[0])
    start = int(self.querystring.get("Marker", ["0"])[0] or 0)
    items = answer["Functions"]
    answer["Functions"] = items[start:start + size]
    if start + size < len(items):
        answer["NextMarker"] = str(start + size)
    return json.dumps(answer)


def install():
    global _installed
    if _installed:
        return
    _installed = True
    if "provisioned" not in moto_sagemaker.KINDS:
        moto_sagemaker.KINDS = moto_sagemaker.KINDS + ("provisioned",)
    F.get_configuration = get_configuration
    R.create_function = r_create_function
    R.get_function = r_get_function
    R.get_function_configuration = r_get_function_configuration
    R.update_function_code = _update(orig_update_code)
    R.update_function_configuration = _update(orig_update_config)
    R.publish_version = r_publish_version
    R.create_alias = r_create_alias
    R.list_functions = list_functions
    R.put_provisioned_concurrency_config = put_provisioned_concurrency_config
    R.get_provisioned_concurrency_config = get_provisioned_concurrency_config
    R.delete_provisioned_concurrency_config = \
        delete_provisioned_concurrency_config
    R.list_provisioned_concurrency_configs = \
        list_provisioned_concurrency_configs
    B.delete_function = delete_function
    lu.url_paths[r"{0}/(?P<api_version>[^/]+)/functions/"
                 r"(?P<function_name>[\w_:%-]+)/provisioned-concurrency/?$"] \
        = R.dispatch
