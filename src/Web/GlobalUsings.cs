// Types other modules share with Web: service errors and project access live in Shared so modules can raise and check them.
global using TransferHub.Shared.Common;
global using TransferHub.Shared.Projects;
global using TransferHub.Shared.Identity;
