//! The IOS vocabulary: finite-state-machine states of `debug crypto isakmp`,
//! the inputs that drive them, and the SA states of `show crypto isakmp sa`.

use core::fmt;

use serde::Serialize;

/// Which side of the exchange we are: `(I)` or `(R)` in IOS debug lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Initiator,
    Responder,
}

impl Role {
    pub fn letter(self) -> &'static str {
        match self {
            Self::Initiator => "I",
            Self::Responder => "R",
        }
    }
}

macro_rules! ios_names {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
        pub enum $name { $($variant,)* }

        impl $name {
            pub fn ios_name(self) -> &'static str {
                match self { $(Self::$variant => $text,)* }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.ios_name())
            }
        }
    };
}

ios_names! {
    /// Exchange FSM states as IOS prints them (`Old State = ... New State = ...`).
    IkeState {
        Ready => "IKE_READY",
        IMm1 => "IKE_I_MM1",
        IMm2 => "IKE_I_MM2",
        IMm3 => "IKE_I_MM3",
        IMm4 => "IKE_I_MM4",
        IMm5 => "IKE_I_MM5",
        IMm6 => "IKE_I_MM6",
        RMm1 => "IKE_R_MM1",
        RMm2 => "IKE_R_MM2",
        RMm3 => "IKE_R_MM3",
        RMm4 => "IKE_R_MM4",
        RMm5 => "IKE_R_MM5",
        IAm1 => "IKE_I_AM1",
        IAm2 => "IKE_I_AM2",
        RAm1 => "IKE_R_AM1",
        RAm2 => "IKE_R_AM2",
        P1Complete => "IKE_P1_COMPLETE",
        DestroySa => "IKE_DEST_SA",
        QmReady => "IKE_QM_READY",
        QmIQm1 => "IKE_QM_I_QM1",
        QmRQm1 => "IKE_QM_R_QM1",
        QmRQm2 => "IKE_QM_R_QM2",
        QmPhase2Complete => "IKE_QM_PHASE2_COMPLETE",
    }
}

ios_names! {
    /// What drove a state change (`Input = IKE_MESG_FROM_PEER, IKE_MM_EXCH`).
    Input {
        SaRequestMainMode => "IKE_MESG_FROM_IPSEC, IKE_SA_REQ_MM",
        SaRequestAggressiveMode => "IKE_MESG_FROM_IPSEC, IKE_SA_REQ_AM",
        PeerMainMode => "IKE_MESG_FROM_PEER, IKE_MM_EXCH",
        PeerAggressiveMode => "IKE_MESG_FROM_PEER, IKE_AM_EXCH",
        PeerQuickMode => "IKE_MESG_FROM_PEER, IKE_QM_EXCH",
        PeerInformational => "IKE_MESG_FROM_PEER, IKE_INFO_DELETE",
        InternalMainMode => "IKE_MESG_INTERNAL, IKE_PROCESS_MAIN_MODE",
        InternalAggressiveMode => "IKE_MESG_INTERNAL, IKE_PROCESS_AGGRESSIVE_MODE",
        InternalComplete => "IKE_MESG_INTERNAL, IKE_PROCESS_COMPLETE",
        InternalInitQuickMode => "IKE_MESG_INTERNAL, IKE_INIT_QM",
        InternalError => "IKE_MESG_INTERNAL, IKE_PROCESS_ERROR",
        Timeout => "IKE_TIMER_EXPIRED, IKE_RETRANSMIT_LIMIT",
        Delete => "IKE_MESG_INTERNAL, IKE_DELETE",
    }
}

ios_names! {
    /// ISAKMP SA states of `show crypto isakmp sa`.
    SaState {
        MmNoState => "MM_NO_STATE",
        MmSaSetup => "MM_SA_SETUP",
        MmKeyExch => "MM_KEY_EXCH",
        MmKeyAuth => "MM_KEY_AUTH",
        AgNoState => "AG_NO_STATE",
        AgInitExch => "AG_INIT_EXCH",
        AgAuth => "AG_AUTH",
        QmIdle => "QM_IDLE",
    }
}
