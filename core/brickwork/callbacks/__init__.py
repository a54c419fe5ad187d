"""``brickwork.callbacks``: hooks into fit, evaluate and predict."""
from brickwork.callbacks.callback import Callback, CallbackList
from brickwork.callbacks.early_stopping import EarlyStopping
from brickwork.callbacks.history import History
from brickwork.callbacks.progbar_logger import ProgbarLogger

__all__ = ["Callback", "CallbackList", "EarlyStopping", "History", "ProgbarLogger"]
