"""The one exception the pipeline raises for bad input or an impossible method; callers show its message."""


class PipelineError(ValueError):
    """Bad data or an impossible method. The message names the indicator/unit/step at fault."""
