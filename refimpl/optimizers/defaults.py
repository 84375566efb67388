"""Default hyperparameters of each framework's optimizers, as data.

Read from the installed frameworks' constructor signatures (torch 2.13.0, chainer 7.8.1) and
checked against them by ``tests/refimpl/test_optimizers.py``; ``scripts/probe_optimizers.py``
records them under ``scripts/probe_results/``. torch's implementation switches
(``TORCH_IMPLEMENTATION_SWITCHES``) are left out: they select a kernel, not the maths.

Where the two frameworks name the same method, the defaults differ: SGD lr (torch 1e-3,
chainer 0.01), Adagrad (torch lr 1e-2, eps 1e-10; chainer lr 1e-3, eps 1e-8), AdamW's weight
decay (torch 1e-2; chainer 0), Adadelta's rho (torch 0.9, chainer 0.95; torch also has lr 1.0,
chainer none); RMSprop agrees (lr 0.01, alpha 0.99, eps 1e-8).
"""

TORCH_IMPLEMENTATION_SWITCHES = ("foreach", "fused", "capturable", "differentiable")

DEFAULTS = {
    "torch": {
        "SGD": {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False,
                "maximize": False},
        "Adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                 "amsgrad": False, "maximize": False, "decoupled_weight_decay": False},
        "AdamW": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2,
                  "amsgrad": False, "maximize": False},
        "RMSprop": {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0, "momentum": 0,
                    "centered": False, "maximize": False},
        "Adagrad": {"lr": 1e-2, "lr_decay": 0, "weight_decay": 0, "initial_accumulator_value": 0,
                    "eps": 1e-10, "maximize": False},
        "Adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0, "maximize": False},
    },
    "chainer": {
        "SGD": {"lr": 0.01},
        "MomentumSGD": {"lr": 0.01, "momentum": 0.9},
        "NesterovAG": {"lr": 0.01, "momentum": 0.9},
        "Adam": {"alpha": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "eta": 1.0,
                 "weight_decay_rate": 0, "amsgrad": False, "adabound": False, "final_lr": 0.1,
                 "gamma": 0.001},
        "AdamW": {"alpha": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "eta": 1.0,
                  "weight_decay_rate": 0},
        "AMSGrad": {"alpha": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "eta": 1.0},
        "AdaBound": {"alpha": 0.001, "beta1": 0.9, "beta2": 0.999, "final_lr": 0.1, "gamma": 0.001,
                     "eps": 1e-8, "eta": 1.0},
        "AMSBound": {"alpha": 0.001, "beta1": 0.9, "beta2": 0.999, "final_lr": 0.1, "gamma": 0.001,
                     "eps": 1e-8, "eta": 1.0},
        "RMSprop": {"lr": 0.01, "alpha": 0.99, "eps": 1e-8, "eps_inside_sqrt": False},
        "RMSpropGraves": {"lr": 1e-4, "alpha": 0.95, "momentum": 0.9, "eps": 1e-4},
        "AdaGrad": {"lr": 0.001, "eps": 1e-8},
        "CorrectedMomentumSGD": {"lr": 0.01, "momentum": 0.9},
        "AdaDelta": {"rho": 0.95, "eps": 1e-6},
        "SMORMS3": {"lr": 0.001, "eps": 1e-16},
    },
}
