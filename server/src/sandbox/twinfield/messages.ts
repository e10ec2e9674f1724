// The simulator's error vocabulary: SOAP fault codes with their HTTP statuses, and the (Dutch, as the
// service's default language) messages of business errors. Clients match on some of these texts verbatim.

/** A SOAP fault as Twinfield raises it: `<detail><message/><code/><source/></detail>`. */
export class TwinfieldFault extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly httpStatus: number,
  ) {
    super(message);
    this.name = 'TwinfieldFault';
  }
}

export const faults = {
  /** 354: the access token is unknown or expired (refresh it and retry once). English, as the service sends it. */
  tokenInvalid: () => new TwinfieldFault(354, 'Access denied. Token invalid.', 401),
  /** 103: the password session is unknown or was ended. */
  credentialsNotValid: () => new TwinfieldFault(103, 'Uw inloggegevens zijn niet meer geldig. Log opnieuw in.', 401),
  /** 101: neither an access token nor a session in the header. */
  tokenMissing: () => new TwinfieldFault(101, 'AccessToken ontbreekt in request header', 500),
  /** 101: the call needs a company and the header names none. */
  companyMissing: () => new TwinfieldFault(101, 'Company ontbreekt in request header', 500),
  /** 102: the token lacks the Twinfield scopes, or the caller may not use this administration here. */
  accessDenied: (why = 'Toegang geweigerd.') => new TwinfieldFault(102, why, 403),
  /** 168: another logon of the same user ended this password session. */
  sessionTakenOver: () => new TwinfieldFault(168, 'Er is elders met dezelfde gebruiker ingelogd; deze sessie is beëindigd.', 500),
  /** 187: the xmlRequest is not well-formed XML. */
  invalidXml: (detail: string) => new TwinfieldFault(187, `Ongeldige XML: ${detail}`, 500),
};

export const NO_ACCESS_TO_OFFICE = 'U hebt geen toegang tot deze administratie.';

export const messages = {
  noAccessToOffice: NO_ACCESS_TO_OFFICE,
  unknownBrowseCode: (code: string) => `Browsecode ${code} bestaat niet.`,
  browseCodeNotInSandbox: (code: string) => `Browsecode ${code} is niet beschikbaar in de sandbox.`,
  unknownField: (field: string, code: string) => `Veld ${field} bestaat niet in browsecode ${code}.`,
  unknownOperator: (operator: string, field: string) => `Operator ${operator} is ongeldig voor veld ${field}.`,
  invalidValue: (value: string, field: string) => `Ongeldige waarde '${value}' voor veld ${field}.`,
  tooManySortFields: () => 'Er kan op maximaal 3 velden worden gesorteerd.',
  invalidSortOrder: (order: string) => `Ongeldige sorteervolgorde '${order}'.`,
  unknownDimensionType: (type: string) => `Dimensietype ${type} bestaat niet.`,
  unknownDimension: (type: string, code: string) => `Dimensie ${code} van type ${type} bestaat niet.`,
  unknownListType: (type: string) => `Lijsttype '${type}' wordt niet ondersteund.`,
  unknownReadType: (type: string) => `Leestype '${type}' wordt niet ondersteund.`,
  notSupportedInSandbox: (element: string) => `Het bericht <${element}> wordt niet ondersteund door de sandbox.`,
  missingElement: (element: string) => `Element <${element}> ontbreekt.`,
};
